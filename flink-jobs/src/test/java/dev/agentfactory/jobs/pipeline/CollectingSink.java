package dev.agentfactory.jobs.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * A sink for a job on a MiniCluster in the test's own JVM: the sink travels serialised with the job
 * graph, so its writers find what they receive through a static map by the sink's id, and the test
 * reads it with {@link #received()}. Call {@link #close()} when done.
 */
final class CollectingSink<T> implements Sink<T>, AutoCloseable {
  private static final long serialVersionUID = 1L;
  private static final Map<String, Queue<Object>> RECEIVED = new ConcurrentHashMap<>();

  private final String id = UUID.randomUUID().toString();

  CollectingSink() {
    RECEIVED.put(id, new ConcurrentLinkedQueue<>());
  }

  /** What the sink's writers received so far, in arrival order. */
  @SuppressWarnings("unchecked")
  List<T> received() {
    return new ArrayList<>((Queue<T>) RECEIVED.get(id));
  }

  @Override
  public SinkWriter<T> createWriter(WriterInitContext context) {
    Queue<Object> queue = RECEIVED.get(id);
    return new SinkWriter<>() {
      @Override
      public void write(T element, Context ctx) {
        queue.add(element);
      }

      @Override
      public void flush(boolean endOfInput) {}

      @Override
      public void close() {}
    };
  }

  @Override
  public void close() {
    RECEIVED.remove(id);
  }
}
