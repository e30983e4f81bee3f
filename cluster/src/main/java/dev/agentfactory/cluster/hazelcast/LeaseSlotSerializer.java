package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;

/**
 * Compact serialisation for {@link LeaseSlot}: schema-evolvable, and queryable by field ({@code
 * ownerNode}, {@code expiresAtMillis}) without deserialising the value.
 */
final class LeaseSlotSerializer implements CompactSerializer<LeaseSlot> {

  static final String OWNER_NODE = "ownerNode";
  static final String EXPIRES_AT = "expiresAtMillis";

  @Override
  public LeaseSlot read(CompactReader in) {
    return new LeaseSlot(
        in.readString("sandboxId"),
        in.readInt64("fencingToken"),
        in.readString("leaseId"),
        in.readString(OWNER_NODE),
        in.readString("sessionId"),
        in.readString("template"),
        in.readInt64("grantedAtMillis"),
        in.readInt64(EXPIRES_AT));
  }

  @Override
  public void write(CompactWriter out, LeaseSlot slot) {
    out.writeString("sandboxId", slot.sandboxId());
    out.writeInt64("fencingToken", slot.fencingToken());
    out.writeString("leaseId", slot.leaseId());
    out.writeString(OWNER_NODE, slot.ownerNode());
    out.writeString("sessionId", slot.sessionId());
    out.writeString("template", slot.template());
    out.writeInt64("grantedAtMillis", slot.grantedAtMillis());
    out.writeInt64(EXPIRES_AT, slot.expiresAtMillis());
  }

  @Override
  public String getTypeName() {
    return "af.LeaseSlot";
  }

  @Override
  public Class<LeaseSlot> getCompactClass() {
    return LeaseSlot.class;
  }
}
