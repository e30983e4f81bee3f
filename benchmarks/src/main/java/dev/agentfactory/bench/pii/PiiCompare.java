package dev.agentfactory.bench.pii;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Compares the scrub throughput of two or more builds of the PII scrubber in one JVM, round by
 * round, so that all of them see the same machine load: on a shared VM neither wall-clock nor
 * thread CPU time (which includes steal time) is comparable between runs made minutes apart.
 *
 * <pre>{@code
 * java -cp benchmarks/target/classes dev.agentfactory.bench.pii.PiiCompare \
 *     <rounds> <cpu-seconds per round> <split> <deps classpath> <classes dir A> <classes dir B> ...
 * }</pre>
 *
 * The data file is {@code -Dpii.data=...} as for {@link PiiBench}. Each classes dir (with its
 * {@code ner-*.bin/tsv} resources) gets its own class loader over the dependency classpath; every
 * round scrubs the split's samples for the given CPU time with each build in turn and prints
 * samples per CPU-second and per wall-clock second. Use the late rounds (after JIT warm-up).
 */
public final class PiiCompare {

  private PiiCompare() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println(
          "usage: PiiCompare <rounds> <cpu-seconds> <split> <deps classpath> <classes dir>...");
      System.exit(2);
    }
    int rounds = Integer.parseInt(args[0]);
    double seconds = Double.parseDouble(args[1]);
    String split = args[2].toUpperCase(Locale.ROOT);
    String[] deps = args[3].split(java.io.File.pathSeparator);
    Path data = Path.of(System.getProperty("pii.data", "../shared/data/pii/generated_large.json"));
    List<Object> scrubbers = new ArrayList<>();
    List<Method> scrub = new ArrayList<>();
    List<String> texts = null;
    for (int k = 4; k < args.length; k++) {
      List<URL> urls = new ArrayList<>();
      urls.add(Path.of(args[k]).toUri().toURL());
      for (String d : deps) {
        urls.add(Path.of(d).toUri().toURL());
      }
      ClassLoader cl =
          new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
      Class<?> scanner = cl.loadClass("dev.agentfactory.jobs.pii.PiiScanner");
      Class<?> policy = cl.loadClass("dev.agentfactory.jobs.pii.ScrubPolicy");
      Class<?> scrubber = cl.loadClass("dev.agentfactory.jobs.pii.Scrubber");
      Object s =
          scrubber
              .getConstructor(scanner, policy, byte[].class)
              .newInstance(
                  scanner.getMethod("create").invoke(null),
                  policy.getMethod("defaults").invoke(null),
                  null);
      scrubbers.add(s);
      scrub.add(scrubber.getMethod("scrub", String.class, String.class));
      if (texts == null) {
        texts = texts(cl, data, split);
      }
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (int r = 0; r < rounds; r++) {
      StringBuilder line =
          new StringBuilder(
              String.format(
                  Locale.ROOT,
                  "round %d load %.1f",
                  r,
                  ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
      for (int k = 0; k < scrubbers.size(); k++) {
        long cpu0 = threads.getCurrentThreadCpuTime();
        long wall0 = System.nanoTime();
        long n = 0;
        while (threads.getCurrentThreadCpuTime() - cpu0 < seconds * 1e9) {
          for (int i = 0; i < 50; i++) {
            scrub.get(k).invoke(scrubbers.get(k), texts.get((int) (n % texts.size())), "bench");
            n++;
          }
        }
        double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
        double wall = (System.nanoTime() - wall0) / 1e9;
        line.append(
            String.format(
                Locale.ROOT, " | %s: %.0f/cpu-s %.0f/wall-s", args[4 + k], n / cpu, n / wall));
      }
      System.out.println(line);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static List<String> texts(ClassLoader cl, Path data, String split) throws Exception {
    Class<?> dataset = cl.loadClass("dev.agentfactory.jobs.pii.PiiDataset");
    Class<?> splits = cl.loadClass("dev.agentfactory.jobs.pii.PiiDataset$Split");
    List<?> samples =
        (List<?>)
            dataset
                .getMethod("read", Path.class, splits)
                .invoke(null, data, Enum.valueOf((Class) splits, split));
    List<String> texts = new ArrayList<>();
    for (Object o : samples) {
      texts.add((String) o.getClass().getMethod("text").invoke(o));
    }
    return texts;
  }
}
