package dev.agentfactory.clusterit;

/**
 * How one session attempt ended, from the client's side.
 *
 * @param node the node the client talked to
 * @param kind see {@link Kind}
 * @param detail what the client saw
 */
record SessionOutcome(String node, Kind kind, String detail) {

  enum Kind {
    /** Leased, ran its command, closed by the client. */
    SERVED,
    /** Refused or ended with a reason: an error frame with a code, an HTTP error, a close code. */
    TOLD,
    /** The connection dropped without a word: acceptable only from a node that was disturbed. */
    CUT_OFF,
    /** Anything else: a wrong result, or silence. Never acceptable. */
    UNEXPLAINED
  }

  static SessionOutcome served(String node) {
    return new SessionOutcome(node, Kind.SERVED, "");
  }

  static SessionOutcome told(String node, String detail) {
    return new SessionOutcome(node, Kind.TOLD, detail);
  }

  static SessionOutcome cutOff(String node, String detail) {
    return new SessionOutcome(node, Kind.CUT_OFF, detail);
  }

  static SessionOutcome unexplained(String node, String detail) {
    return new SessionOutcome(node, Kind.UNEXPLAINED, detail);
  }
}
