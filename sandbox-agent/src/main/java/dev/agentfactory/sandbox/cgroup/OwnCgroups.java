package dev.agentfactory.sandbox.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The agent's own cgroups, from {@code /proc/self/cgroup}: sandboxes nest below them. */
record OwnCgroups(Map<String, String> v1Paths, String v2Path) {

  static OwnCgroups read() {
    try {
      return parse(Files.readString(Path.of("/proc/self/cgroup")));
    } catch (IOException e) {
      return new OwnCgroups(Map.of(), "/");
    }
  }

  /** Lines are {@code id:controllers:path}; id 0 with no controllers is the v2 hierarchy. */
  static OwnCgroups parse(String procSelfCgroup) {
    Map<String, String> v1 = new HashMap<>();
    String v2 = "/";
    for (String line : procSelfCgroup.split("\n")) {
      String[] parts = line.split(":", 3);
      if (parts.length != 3) {
        continue;
      }
      if (parts[1].isEmpty()) {
        v2 = parts[2];
      } else {
        for (String controller : parts[1].split(",")) {
          v1.put(controller, parts[2]);
        }
      }
    }
    return new OwnCgroups(Map.copyOf(v1), v2);
  }

  String v1Path(String controller) {
    return v1Paths.getOrDefault(controller, "/");
  }
}
