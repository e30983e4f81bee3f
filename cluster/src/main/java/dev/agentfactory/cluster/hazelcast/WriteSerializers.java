package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;

/**
 * Compact serialisation for the entry processors every local lease sends (a record, then a free).
 * As plain {@code Serializable} records each one cost a Java object stream, class descriptor
 * included, on the sender, on the partition owner and again for its backup.
 */
final class WriteSerializers {

  private WriteSerializers() {}

  static final class Record implements CompactSerializer<RecordProcessor> {
    @Override
    public RecordProcessor read(CompactReader in) {
      return new RecordProcessor(
          in.readString("leaseId"),
          in.readInt64("fencingToken"),
          in.readString("ownerNode"),
          in.readString("sessionId"),
          in.readString("template"),
          in.readInt64("grantedAtMillis"),
          in.readInt64("expiresAtMillis"),
          in.readInt64("ttlMillis"),
          in.readInt64("retentionMillis"));
    }

    @Override
    public void write(CompactWriter out, RecordProcessor p) {
      out.writeString("leaseId", p.leaseId());
      out.writeInt64("fencingToken", p.fencingToken());
      out.writeString("ownerNode", p.ownerNode());
      out.writeString("sessionId", p.sessionId());
      out.writeString("template", p.template());
      out.writeInt64("grantedAtMillis", p.grantedAtMillis());
      out.writeInt64("expiresAtMillis", p.expiresAtMillis());
      out.writeInt64("ttlMillis", p.ttlMillis());
      out.writeInt64("retentionMillis", p.retentionMillis());
    }

    @Override
    public String getTypeName() {
      return "af.RecordProcessor";
    }

    @Override
    public Class<RecordProcessor> getCompactClass() {
      return RecordProcessor.class;
    }
  }

  static final class Release implements CompactSerializer<ReleaseProcessor> {
    @Override
    public ReleaseProcessor read(CompactReader in) {
      return new ReleaseProcessor(in.readInt64("expectedToken"), in.readInt64("retentionMillis"));
    }

    @Override
    public void write(CompactWriter out, ReleaseProcessor p) {
      out.writeInt64("expectedToken", p.expectedToken());
      out.writeInt64("retentionMillis", p.retentionMillis());
    }

    @Override
    public String getTypeName() {
      return "af.ReleaseProcessor";
    }

    @Override
    public Class<ReleaseProcessor> getCompactClass() {
      return ReleaseProcessor.class;
    }
  }
}
