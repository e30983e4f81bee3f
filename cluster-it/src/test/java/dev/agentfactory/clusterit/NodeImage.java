package dev.agentfactory.clusterit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The node image, made here and never pulled: a root filesystem of a few kilobytes (directories,
 * the merged-/usr symlinks, the host's user and group files). Everything heavy comes from the host
 * read-only when a container starts (see {@link #hostBinds()}): its /usr (the JDK, python3,
 * setpriv) and the node's jars from {@code vertx-edge/target}. Importing takes well under a second,
 * so there is nothing to cache between builds but the image itself, tagged with a hash of its
 * content.
 */
final class NodeImage {

  static final String REPOSITORY = "agent-factory/cluster-it-node";

  private NodeImage() {}

  /** Imports the image unless an image with the same content is there; returns its name. */
  static String ensure(DockerClient docker) {
    byte[] tar = rootFilesystem();
    String tag = sha256(tar).substring(0, 12);
    String name = REPOSITORY + ":" + tag;
    try {
      docker.inspectImageCmd(name).exec();
      return name;
    } catch (NotFoundException missing) {
      // import below
    }
    // A build FROM scratch (which is never pulled) that unpacks the root filesystem: the same as
    // `docker import`, through the build endpoint whose upload the client streams reliably.
    byte[] context =
        tar(
            Map.of(
                "Dockerfile",
                "FROM scratch\nADD rootfs.tar /\n".getBytes(StandardCharsets.UTF_8),
                "rootfs.tar",
                tar));
    docker
        .buildImageCmd(new ByteArrayInputStream(context))
        .withTags(Set.of(name))
        .withPull(false)
        .withLabels(Map.of("af.cluster-it", "node-image"))
        .start()
        .awaitImageId();
    return name;
  }

  private static byte[] tar(Map<String, byte[]> files) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> file : new java.util.TreeMap<>(files).entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(file.getKey());
        entry.setSize(file.getValue().length);
        entry.setMode(0644);
        entry.setModTime(0);
        tar.putArchiveEntry(entry);
        tar.write(file.getValue());
        tar.closeArchiveEntry();
      }
      tar.finish();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Host paths bind-mounted read-only at the same place in every node container: /usr, and the
   * configuration the Debian JDK links to from /usr (its conf directory and CA certificates).
   */
  static List<String> hostBinds() {
    List<String> binds = new java.util.ArrayList<>(List.of("/usr"));
    for (String etc : List.of("/etc/java-17-openjdk", "/etc/ssl/certs", "/etc/alternatives")) {
      if (Files.isDirectory(Path.of(etc))) {
        binds.add(etc);
      }
    }
    Path javaHome = Path.of(System.getProperty("java.home"));
    try {
      Path real = javaHome.toRealPath();
      if (!real.startsWith("/usr")) {
        binds.add(real.toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return binds;
  }

  /** The java executable the nodes run: the one running this test. */
  static String javaExecutable() {
    try {
      return Path.of(System.getProperty("java.home")).toRealPath().resolve("bin/java").toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] rootFilesystem() {
    Map<String, String> symlinks = new LinkedHashMap<>();
    symlinks.put("bin", "usr/bin");
    symlinks.put("lib", "usr/lib");
    symlinks.put("lib64", "usr/lib64");
    symlinks.put("sbin", "usr/sbin");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (String dir :
          List.of(
              "usr/",
              "etc/",
              "etc/ssl/",
              "data/",
              "proc/",
              "sys/",
              "dev/",
              "run/",
              "root/",
              "opt/",
              "opt/af/",
              "var/",
              "var/tmp/")) {
        directory(tar, dir, 0755);
      }
      directory(tar, "tmp/", 01777);
      for (Map.Entry<String, String> link : symlinks.entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(link.getKey(), TarArchiveEntry.LF_SYMLINK);
        entry.setLinkName(link.getValue());
        entry.setModTime(0);
        tar.putArchiveEntry(entry);
        tar.closeArchiveEntry();
      }
      // users and groups: setpriv and the JDK look names up; the same ids as on the host
      for (String file : List.of("etc/passwd", "etc/group", "etc/nsswitch.conf")) {
        Path host = Path.of("/" + file);
        byte[] content =
            Files.isRegularFile(host)
                ? Files.readAllBytes(host)
                : "root:x:0:0:root:/root:/bin/sh\n".getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(file);
        entry.setSize(content.length);
        entry.setMode(0644);
        entry.setModTime(0);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
      }
      tar.finish();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the node image's root filesystem", e);
    }
    return bytes.toByteArray();
  }

  private static void directory(TarArchiveOutputStream tar, String name, int mode)
      throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(TarArchiveEntry.DEFAULT_DIR_MODE & ~0777 | mode);
    entry.setModTime(0);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
