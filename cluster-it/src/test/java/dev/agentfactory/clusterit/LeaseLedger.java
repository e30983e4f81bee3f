package dev.agentfactory.clusterit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every lease the nodes granted to the tests' sessions, as the clients saw them in {@code
 * session.ready}. A sandbox serves one session and is then terminated, so a sandbox id granted
 * twice, or two sessions holding one sandbox at the same time, is a double lease.
 */
final class LeaseLedger {

  private final Map<String, List<SessionClient.Ready>> bySandbox = new ConcurrentHashMap<>();
  private final Map<String, SessionClient.Ready> holding = new ConcurrentHashMap<>();
  private final List<String> overlaps = new ArrayList<>();

  /** Records the session's lease; a session that has not leased a sandbox yet holds nothing. */
  void granted(SessionClient.Ready ready) {
    if (!ready.leased()) {
      return;
    }
    bySandbox
        .computeIfAbsent(
            ready.sandboxId(), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
        .add(ready);
    SessionClient.Ready previous = holding.putIfAbsent(ready.sandboxId(), ready);
    if (previous != null) {
      synchronized (overlaps) {
        overlaps.add(ready.sandboxId() + " held by " + previous + " and " + ready);
      }
    }
  }

  void released(SessionClient.Ready ready) {
    if (!ready.leased()) {
      return;
    }
    holding.remove(ready.sandboxId(), ready);
  }

  int grants() {
    return bySandbox.values().stream().mapToInt(List::size).sum();
  }

  /** Sandboxes granted more than once, or held by two sessions at once, with the evidence. */
  List<String> doubleLeases() {
    List<String> found = new ArrayList<>();
    synchronized (overlaps) {
      found.addAll(overlaps);
    }
    bySandbox.forEach(
        (sandbox, grants) -> {
          if (grants.size() > 1) {
            found.add(sandbox + " granted " + grants.size() + " times: " + grants);
          }
        });
    Map<String, SessionClient.Ready> byLease = new ConcurrentHashMap<>();
    bySandbox.values().stream()
        .flatMap(List::stream)
        .forEach(
            r -> {
              SessionClient.Ready other = byLease.putIfAbsent(r.leaseId(), r);
              if (other != null) {
                found.add("lease id " + r.leaseId() + " granted twice: " + other + ", " + r);
              }
            });
    return found;
  }
}
