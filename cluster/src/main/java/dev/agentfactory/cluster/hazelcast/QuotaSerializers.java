package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compact serialisation for the quota map's value and its processor: schema-evolvable, and each
 * lease of a tenant with a quota sends one processor (two with its release) that the partition
 * owner and its backup both read, without a Java object stream's class descriptors.
 */
final class QuotaSerializers {

  private QuotaSerializers() {}

  /** {@link TenantHolds} as three parallel arrays, ordered by holder id. */
  static final class Holds implements CompactSerializer<TenantHolds> {
    @Override
    public TenantHolds read(CompactReader in) {
      String[] holders = in.readArrayOfString("holders");
      String[] nodes = in.readArrayOfString("nodes");
      long[] since = in.readArrayOfInt64("sinceMillis");
      Map<String, TenantHolds.Hold> holds = new HashMap<>();
      for (int i = 0; i < holders.length; i++) {
        holds.put(holders[i], new TenantHolds.Hold(nodes[i], since[i]));
      }
      return new TenantHolds(holds);
    }

    @Override
    public void write(CompactWriter out, TenantHolds value) {
      List<String> holders = new ArrayList<>(value.holds().keySet());
      holders.sort(null);
      String[] nodes = new String[holders.size()];
      long[] since = new long[holders.size()];
      for (int i = 0; i < nodes.length; i++) {
        TenantHolds.Hold hold = value.holds().get(holders.get(i));
        nodes[i] = hold.node();
        since[i] = hold.sinceMillis();
      }
      out.writeArrayOfString("holders", holders.toArray(String[]::new));
      out.writeArrayOfString("nodes", nodes);
      out.writeArrayOfInt64("sinceMillis", since);
    }

    @Override
    public String getTypeName() {
      return "af.TenantHolds";
    }

    @Override
    public Class<TenantHolds> getCompactClass() {
      return TenantHolds.class;
    }
  }

  static final class Processor implements CompactSerializer<QuotaProcessor> {
    @Override
    public QuotaProcessor read(CompactReader in) {
      String[] nodes = in.readArrayOfString("nodes");
      return new QuotaProcessor(
          QuotaProcessor.Op.valueOf(in.readString("op")),
          in.readString("holder"),
          in.readString("node"),
          in.readInt32("limit"),
          in.readInt64("atMillis"),
          nodes == null ? null : List.of(nodes));
    }

    @Override
    public void write(CompactWriter out, QuotaProcessor p) {
      out.writeString("op", p.op().name());
      out.writeString("holder", p.holder());
      out.writeString("node", p.node());
      out.writeInt32("limit", p.limit());
      out.writeInt64("atMillis", p.atMillis());
      out.writeArrayOfString("nodes", p.nodes().toArray(String[]::new));
    }

    @Override
    public String getTypeName() {
      return "af.QuotaProcessor";
    }

    @Override
    public Class<QuotaProcessor> getCompactClass() {
      return QuotaProcessor.class;
    }
  }
}
