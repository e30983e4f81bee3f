package dev.agentfactory.jobs.pipeline;

/**
 * A Kafka record as it arrived, before parsing: the pipeline keeps the raw bytes so that a rejected
 * event reaches the dead-letter topic unchanged.
 */
public record KafkaRecord(String topic, int partition, long offset, byte[] key, byte[] value) {

  /** {@code topic/partition/offset}, for the dead-letter origin header. */
  public String origin() {
    return topic + "/" + partition + "/" + offset;
  }
}
