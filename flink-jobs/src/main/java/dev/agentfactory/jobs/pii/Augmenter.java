package dev.agentfactory.jobs.pii;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.jobs.pii.PiiDataset.LabelledSample;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Training-data augmentation: refills the {@code {{placeholder}}} templates of the training split
 * (presidio-research's {@code masked} field) with values of the same placeholder taken from other
 * training samples, and, for {@code city} and {@code country}, from place lists (ISO 3166 country
 * and subdivision names from Debian's {@code iso-codes}, tz database city names), when the build
 * machine has them. The name finder then sees each sentence shape with many different values and
 * learns the context instead of memorising the values. A share of the refilled samples is
 * lower-cased, so that {@code she named him joshua} is not out of reach.
 *
 * <p>Only training samples feed it: held-out templates are never read, and every value comes from
 * the training split or from the external lists.
 */
final class Augmenter {

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{(\\w+)\\}\\}");

  /** A value with its gold spans relative to the value's start. */
  record Value(String text, List<PiiSpan> spans) {}

  /** A sample split into literal text and placeholders. */
  record Template(
      List<String> literals, List<String> names, List<Value> values, LabelledSample origin) {}

  /** The placeholders that get fresh values (property {@code pii.train.fresh.placeholders}). */
  private static final Set<String> FRESH =
      Set.of(
          System.getProperty(
                  "pii.train.fresh.placeholders",
                  "first_name,first_name_male,first_name_female,first_name_nonbinary,last_name,"
                      + "last_name_male,last_name_female,person,name,name_male,name_female,city,"
                      + "country,organization,company")
              .split(","));

  private static final boolean OWN_VALUES_FROM_POOL = Boolean.getBoolean("pii.train.pool");

  private final List<Template> templates = new ArrayList<>();
  private final Map<String, List<Value>> pools = new HashMap<>();

  /** Parses the training samples of {@code file}. */
  static Augmenter read(Path file) throws IOException {
    return read(file, false);
  }

  /**
   * As {@link #read(Path)}; with {@code withoutValidation}, the validation templates ({@link
   * PiiDataset#isValidation}) are left out too.
   */
  static Augmenter read(Path file, boolean withoutValidation) throws IOException {
    return read(file, t -> !(withoutValidation && PiiDataset.isValidation(t)));
  }

  /**
   * The training templates of {@code file} whose id {@code templates} accepts (held-out templates
   * never).
   */
  static Augmenter read(Path file, java.util.function.IntPredicate templates) throws IOException {
    return read(file, templates, false);
  }

  /**
   * As {@link #read(Path, java.util.function.IntPredicate)}; with {@code heldOutToo}, held-out
   * templates that {@code templates} accepts are read as well (for the shipped model, {@link
   * PiiModel#SHIPPED}, which learns from every labelled template).
   */
  static Augmenter read(Path file, java.util.function.IntPredicate templates, boolean heldOutToo)
      throws IOException {
    return readSamples(file, s -> templates.test(s.templateId()), heldOutToo);
  }

  /**
   * The training samples of {@code file} that {@code samples} accepts (held-out templates never),
   * for cross-validation by sample.
   */
  static Augmenter readSamples(Path file, java.util.function.Predicate<LabelledSample> samples)
      throws IOException {
    return readSamples(file, samples, false);
  }

  private static Augmenter readSamples(
      Path file, java.util.function.Predicate<LabelledSample> samples, boolean heldOutToo)
      throws IOException {
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    Augmenter a = new Augmenter();
    int i = 0;
    boolean any = false;
    for (LabelledSample s : PiiDataset.read(file, PiiDataset.Split.ALL)) {
      JsonNode node = root.get(i++);
      if ((s.heldOut() && !heldOutToo) || !samples.test(s)) {
        continue;
      }
      any = true;
      a.add(s, node.path("masked").asText(""));
    }
    if (any) {
      a.addPlaces();
    }
    return a;
  }

  int templateCount() {
    return templates.size();
  }

  /** Aligns {@code masked} with the sample's text; samples that do not align are skipped. */
  void add(LabelledSample s, String masked) {
    Matcher m = PLACEHOLDER.matcher(masked);
    List<String> literals = new ArrayList<>();
    List<String> names = new ArrayList<>();
    StringBuilder regex = new StringBuilder("^");
    int last = 0;
    while (m.find()) {
      String lit = masked.substring(last, m.start());
      if (!names.isEmpty() && lit.isEmpty()) {
        return; // two adjacent placeholders: no way to tell where one ends
      }
      literals.add(lit);
      names.add(m.group(1));
      regex.append(Pattern.quote(lit)).append("(.+?)");
      last = m.end();
    }
    if (names.isEmpty()) {
      return;
    }
    literals.add(masked.substring(last));
    regex.append(Pattern.quote(masked.substring(last))).append('$');
    Matcher v = Pattern.compile(regex.toString(), Pattern.DOTALL).matcher(s.text());
    if (!v.matches()) {
      return;
    }
    List<Value> values = new ArrayList<>();
    for (int g = 1; g <= names.size(); g++) {
      int start = v.start(g);
      int end = v.end(g);
      List<PiiSpan> rel = new ArrayList<>();
      for (PiiSpan span : s.gold()) {
        boolean inside = span.start() >= start && span.end() <= end;
        boolean outside = span.end() <= start || span.start() >= end;
        if (!inside && !outside) {
          return; // a gold span crosses a placeholder boundary: misaligned
        }
        if (inside) {
          rel.add(new PiiSpan(span.type(), span.start() - start, span.end() - start, 1.0));
        }
      }
      values.add(new Value(s.text().substring(start, end), rel));
    }
    // every gold span must be inside some placeholder
    int covered = values.stream().mapToInt(x -> x.spans().size()).sum();
    if (covered != s.gold().size()) {
      return;
    }
    templates.add(new Template(literals, names, List.copyOf(values), s));
    for (int k = 0; k < names.size(); k++) {
      pools.computeIfAbsent(names.get(k), n -> new ArrayList<>()).add(values.get(k));
    }
  }

  /** Adds country, subdivision and city names to the {@code country} and {@code city} pools. */
  private void addPlaces() {
    Set<String> countries = new LinkedHashSet<>();
    Set<String> cities = cities();
    for (String iso : Locale.getISOCountries()) {
      String name = new Locale("", iso).getDisplayCountry(Locale.ENGLISH);
      if (!name.isBlank() && !name.equals(iso)) {
        countries.add(name);
      }
    }
    try {
      Path c = Path.of("/usr/share/iso-codes/json/iso_3166-1.json");
      if (Files.isRegularFile(c)) {
        for (JsonNode n : new ObjectMapper().readTree(c.toFile()).path("3166-1")) {
          countries.add(n.path("name").asText());
          if (n.has("common_name")) {
            countries.add(n.path("common_name").asText());
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      System.out.println("[INFO] PII augmentation without ISO country names: " + e);
    }
    countries.removeIf(String::isBlank);
    for (String c : countries) {
      pools
          .computeIfAbsent("country", n -> new ArrayList<>())
          .add(new Value(c, List.of(new PiiSpan(EntityType.LOCATION, 0, c.length(), 1.0))));
    }
    for (String c : cities) {
      pools
          .computeIfAbsent("city", n -> new ArrayList<>())
          .add(new Value(c, List.of(new PiiSpan(EntityType.LOCATION, 0, c.length(), 1.0))));
    }
  }

  /**
   * Region and city names from the build machine's Debian data, if installed: ISO 3166-2
   * subdivisions ({@code iso-codes}) and tz database cities ({@code tzdata}); empty otherwise.
   */
  static Set<String> cities() {
    Set<String> cities = new LinkedHashSet<>();
    ObjectMapper json = new ObjectMapper();
    try {
      Path sub = Path.of("/usr/share/iso-codes/json/iso_3166-2.json");
      if (Files.isRegularFile(sub)) {
        for (JsonNode n : json.readTree(sub.toFile()).path("3166-2")) {
          String name = n.path("name").asText();
          if (name.matches("[\\p{L} .'-]{3,30}")) {
            cities.add(name);
          }
        }
      }
      Path zones = Path.of("/usr/share/zoneinfo");
      for (String region : List.of("Africa", "America", "Asia", "Australia", "Europe", "Pacific")) {
        Path dir = zones.resolve(region);
        if (!Files.isDirectory(dir)) {
          continue;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
          for (Path p : ds) {
            String name = p.getFileName().toString().replace('_', ' ');
            if (Files.isRegularFile(p) && name.matches("[A-Z][A-Za-z .'-]{2,30}")) {
              cities.add(name);
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      System.out.println("[INFO] PII place lists not read: " + e);
    }
    return cities;
  }

  /**
   * {@code copies} refilled variants of every aligned training sample, deterministically from
   * {@code seed}; about {@code lowerShare} of them lower-cased. Values come from the training
   * pools.
   */
  List<LabelledSample> generate(int copies, double lowerShare, long seed) {
    return generate(copies, lowerShare, seed, null, 0.0);
  }

  /**
   * As {@link #generate(int, double, long)}, but a placeholder that {@code faker} knows gets, with
   * probability {@code freshShare}, a fresh Datafaker value labelled with the type the training
   * values of that placeholder have (when they are whole-value spans of one type in at least 80% of
   * the cases). A few fresh values are upper- or lower-cased on their own, as the data has them
   * ({@code SAINT-PRIEST}, {@code natasha higuchi}).
   */
  List<LabelledSample> generate(
      int copies, double lowerShare, long seed, FakerValues faker, double freshShare) {
    return generate(copies, lowerShare, seed, faker, freshShare, 0.0);
  }

  /** The types whose values {@link #generate} swaps across slots. */
  static final List<EntityType> SWAPPED =
      List.of(EntityType.PERSON, EntityType.LOCATION, EntityType.ORGANIZATION);

  /**
   * As {@link #generate(int, double, long, FakerValues, double)}, and with probability {@code
   * swapShare} a slot whose value is one whole {@link #SWAPPED} span gets instead a training value
   * of <em>another</em> of those types (a person where a city was, an organisation where a person
   * was), labelled with its own type: the tagger then cannot decide a type by the context alone,
   * which misleads it on sentence shapes it has never seen.
   */
  List<LabelledSample> generate(
      int copies,
      double lowerShare,
      long seed,
      FakerValues faker,
      double freshShare,
      double swapShare) {
    Random random = new Random(seed);
    Map<String, EntityType> types = faker == null ? Map.of() : wholeValueTypes();
    Map<EntityType, List<Value>> byType = swapShare > 0 ? valuesByType() : Map.of();
    List<LabelledSample> out = new ArrayList<>(templates.size() * copies);
    for (Template t : templates) {
      for (int c = 0; c < copies; c++) {
        StringBuilder text = new StringBuilder();
        List<PiiSpan> gold = new ArrayList<>();
        for (int k = 0; k < t.names().size(); k++) {
          text.append(t.literals().get(k));
          String name = t.names().get(k);
          if (swapShare > 0) {
            EntityType own = wholeType(t.values().get(k));
            if (own != null && SWAPPED.contains(own) && random.nextDouble() < swapShare) {
              EntityType other = SWAPPED.get(random.nextInt(SWAPPED.size() - 1));
              if (other == own) {
                other = SWAPPED.get(SWAPPED.size() - 1);
              }
              List<Value> pool = byType.get(other);
              if (pool != null && !pool.isEmpty()) {
                String swapped = pool.get(random.nextInt(pool.size())).text();
                int base = text.length();
                text.append(swapped);
                gold.add(new PiiSpan(other, base, base + swapped.length(), 1.0));
                continue;
              }
            }
          }
          EntityType type = types.get(name);
          String fresh =
              type != null && random.nextDouble() < freshShare ? faker.value(name, random) : null;
          int base = text.length();
          if (fresh != null) {
            double cs = random.nextDouble();
            if (cs < 0.04) {
              fresh = fresh.toUpperCase(Locale.ROOT);
            } else if (cs < 0.08) {
              fresh = fresh.toLowerCase(Locale.ROOT);
            }
            text.append(fresh);
            gold.add(new PiiSpan(type, base, base + fresh.length(), 1.0));
            continue;
          }
          List<Value> pool = pools.get(name);
          // with fresh values, the other placeholders keep the sample's own value
          Value v =
              faker != null && !OWN_VALUES_FROM_POOL
                  ? t.values().get(k)
                  : pool.get(random.nextInt(pool.size()));
          text.append(v.text());
          for (PiiSpan s : v.spans()) {
            gold.add(new PiiSpan(s.type(), base + s.start(), base + s.end(), 1.0));
          }
        }
        text.append(t.literals().get(t.literals().size() - 1));
        String s = text.toString();
        if (random.nextDouble() < lowerShare) {
          String lower = s.toLowerCase(Locale.ROOT);
          if (lower.length() == s.length()) {
            s = lower;
          }
        }
        gold.sort(java.util.Comparator.comparingInt(PiiSpan::start));
        out.add(new LabelledSample(s, gold, t.origin().templateId()));
      }
    }
    return out;
  }

  /** The type of a value that is one span covering all of it, else null. */
  private static EntityType wholeType(Value v) {
    return v.spans().size() == 1
            && v.spans().get(0).start() == 0
            && v.spans().get(0).end() == v.text().length()
        ? v.spans().get(0).type()
        : null;
  }

  /** The distinct whole-span values of the {@link #SWAPPED} types, by type, in a fixed order. */
  private Map<EntityType, List<Value>> valuesByType() {
    Map<EntityType, Map<String, Value>> distinct = new HashMap<>();
    pools.keySet().stream()
        .sorted()
        .forEach(
            name -> {
              for (Value v : pools.get(name)) {
                EntityType type = wholeType(v);
                if (type != null && SWAPPED.contains(type)) {
                  distinct
                      .computeIfAbsent(type, x -> new java.util.LinkedHashMap<>())
                      .putIfAbsent(v.text(), v);
                }
              }
            });
    Map<EntityType, List<Value>> out = new HashMap<>();
    distinct.forEach((type, values) -> out.put(type, List.copyOf(values.values())));
    return out;
  }

  /**
   * Per placeholder that {@link FakerValues} fills: the entity type of its training values, if at
   * least 80% of them are one span of that type covering the whole value.
   */
  Map<String, EntityType> wholeValueTypes() {
    Map<String, EntityType> types = new HashMap<>();
    pools.forEach(
        (name, values) -> {
          if (!FakerValues.PLACEHOLDERS.contains(name)
              || !(FRESH.isEmpty() || FRESH.contains(name))) {
            return;
          }
          Map<EntityType, Integer> counts = new HashMap<>();
          for (Value v : values) {
            if (v.spans().size() == 1
                && v.spans().get(0).start() == 0
                && v.spans().get(0).end() == v.text().length()) {
              counts.merge(v.spans().get(0).type(), 1, Integer::sum);
            }
          }
          counts.forEach(
              (type, n) -> {
                if (n >= 0.8 * values.size()) {
                  types.put(name, type);
                }
              });
        });
    return types;
  }
}
