package dev.agentfactory.edge.session;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The session turn store holds turns this node's {@code session.store.key} cannot read: rows sealed
 * with keys it lacks, or a key whose id matches but which does not open the store's check value for
 * that id. Thrown when the store is opened, before it changes anything, so the node does not start
 * and then answer {@code turn_unreadable} for the other nodes' turns. Fatal: restarting does not
 * help until the keys are fixed. Names key ids, never keys.
 */
public final class TurnStoreKeyException extends IllegalStateException {

  private final Map<String, Long> missingKeys;
  private final Set<String> wrongKeys;

  TurnStoreKeyException(
      String store, Map<String, Long> missingKeys, Set<String> wrongKeys, Set<String> nodeKeys) {
    super(message(store, missingKeys, wrongKeys, nodeKeys));
    this.missingKeys = Map.copyOf(missingKeys);
    this.wrongKeys = Set.copyOf(wrongKeys);
  }

  /** The ids of the keys the store has rows under and this node lacks, with their row counts. */
  public Map<String, Long> missingKeys() {
    return missingKeys;
  }

  /** The ids of this node's keys that do not open the store's check value for their id. */
  public Set<String> wrongKeys() {
    return wrongKeys;
  }

  private static String message(
      String store, Map<String, Long> missing, Set<String> wrong, Set<String> nodeKeys) {
    StringBuilder m = new StringBuilder("the session turn store at ").append(store);
    if (!missing.isEmpty()) {
      m.append(" holds turns sealed with key(s) ");
      String sep = "";
      for (Map.Entry<String, Long> e : new TreeMap<>(missing).entrySet()) {
        m.append(sep).append(e.getKey()).append(" (").append(e.getValue()).append(" turns)");
        sep = ", ";
      }
      m.append(" which session.store.key (AF_SESSION_STORE_KEY) does not hold");
    }
    if (!wrong.isEmpty()) {
      m.append(missing.isEmpty() ? " has" : ", and has")
          .append(" a key check value that key(s) ")
          .append(String.join(", ", new TreeSet<>(wrong)))
          .append(" of session.store.key (AF_SESSION_STORE_KEY) do not open (a different key")
          .append(" with the same id, or a tampered check row)");
    }
    return m.append("; this node has ")
        .append(String.join(", ", new TreeSet<>(nodeKeys)))
        .append(". Add the key(s) the other nodes use (the new key first, the old ones after it),")
        .append(" or, for a node's own embedded store whose generated key was lost, delete the")
        .append(" store's file (its turns cannot be read without the key). No turn was changed.")
        .toString();
  }
}
