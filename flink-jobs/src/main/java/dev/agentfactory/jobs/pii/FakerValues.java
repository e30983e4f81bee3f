package dev.agentfactory.jobs.pii;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.datafaker.Faker;

/**
 * Fresh values for presidio-research's template placeholders ({@code {{first_name}}}, {@code
 * {{city}}}, {@code {{organization}}}, …) and word lists (first and last names, city, street,
 * country and company words) from Datafaker's locale data: the same kind of values as the Python
 * Faker that generated the labelled data, but not the same lists. <b>Build time only</b>: {@link
 * NameFinderTrainer} uses it; Datafaker is a {@code provided} dependency, absent at run time, where
 * the lists travel as {@value Gazetteer#LISTS_RESOURCE}.
 */
final class FakerValues {

  /** Locales with Latin-script data, English most often (the data is mostly English). */
  private static final List<String> LOCALES =
      List.of(
          "en-GB", "en-AU", "en-CA", "en-IE", "en-NZ", "de", "de-AT", "de-CH", "fr", "it", "es",
          "nl", "pt-BR", "pt", "cs-CZ", "sk", "da-DK", "nb-NO", "sv", "fi-FI", "hu", "pl", "tr",
          "ca", "lv", "ro", "hr", "sl", "et", "id", "vi");

  /**
   * Share of organisation values that are app names ({@code Redhold}, {@code Treeflex}): one-word
   * brand names like many real companies, which Datafaker's company names ({@code Smith LLC}) are
   * not.
   */
  private static final double ORG_APP_SHARE =
      Double.parseDouble(System.getProperty("pii.train.orgapps", "0.4"));

  private final Faker english;
  private final List<Faker> others = new ArrayList<>();

  FakerValues(long seed) {
    Random random = new Random(seed);
    this.english = new Faker(Locale.ENGLISH, new Random(random.nextLong()));
    for (String tag : LOCALES) {
      others.add(new Faker(Locale.forLanguageTag(tag), new Random(random.nextLong())));
    }
  }

  /** The placeholders {@link #value} fills. */
  static final Set<String> PLACEHOLDERS =
      Set.of(
          "first_name",
          "first_name_male",
          "first_name_female",
          "first_name_nonbinary",
          "last_name",
          "last_name_male",
          "last_name_female",
          "person",
          "name",
          "name_male",
          "name_female",
          "city",
          "country",
          "organization",
          "company",
          "street_name",
          "building_number",
          "secondary_address",
          "postcode",
          "zipcode",
          "address");

  private Faker pick(Random r, double englishShare) {
    return r.nextDouble() < englishShare ? english : others.get(r.nextInt(others.size()));
  }

  /** A fresh value for {@code placeholder}, or null if Datafaker has nothing of that kind. */
  String value(String placeholder, Random r) {
    Faker f = pick(r, 0.45);
    String v =
        switch (placeholder) {
          case "first_name", "first_name_male", "first_name_female", "first_name_nonbinary" ->
              f.name().firstName();
          case "last_name", "last_name_male", "last_name_female" -> f.name().lastName();
          case "person", "name", "name_male", "name_female" ->
              r.nextInt(8) == 0
                  ? f.name().fullName()
                  : f.name().firstName() + " " + f.name().lastName();
          case "city" -> f.address().city();
          case "country" -> pick(r, 0.9).address().country();
          case "organization", "company" ->
              r.nextDouble() < ORG_APP_SHARE ? english.app().name() : pick(r, 0.7).company().name();
          case "street_name" ->
              switch (r.nextInt(4)) {
                case 0 -> f.address().streetName() + " " + f.address().buildingNumber();
                case 1 -> f.address().buildingNumber() + " " + f.address().streetName();
                default -> f.address().streetName();
              };
          case "building_number" -> f.address().buildingNumber();
          case "secondary_address" -> f.address().secondaryAddress();
          case "postcode", "zipcode" -> f.address().zipCode();
          case "address" -> f.address().fullAddress();
          default -> null;
        };
    if (v == null) {
      return null;
    }
    v = v.strip();
    return v.isEmpty() || !latin(v) ? null : v;
  }

  /** True when every letter of {@code s} is Latin (the locales above sometimes fall back). */
  private static boolean latin(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isLetter(c) && Character.UnicodeScript.of(c) != Character.UnicodeScript.LATIN) {
        return false;
      }
    }
    return true;
  }

  /**
   * Lower-case words of names, places and organisations, by list: {@code first}, {@code last},
   * {@code city}, {@code street}, {@code country}, {@code company}. Words of two or fewer letters
   * and company connectives ({@code and}, {@code und}, …) are left out.
   */
  Map<String, Set<String>> wordLists(int draws) {
    Map<String, Set<String>> lists = new TreeMap<>();
    Random r = new Random(7);
    List<Faker> all = new ArrayList<>(others);
    all.add(english);
    for (Faker f : all) {
      int n = f == english ? draws * 4 : draws;
      for (int i = 0; i < n; i++) {
        add(lists, "first", f.name().firstName());
        add(lists, "last", f.name().lastName());
        add(lists, "city", f.address().city());
        add(lists, "street", f.address().streetName());
        if (i % 4 == 0) {
          add(lists, "country", f.address().country());
          add(lists, "company", f.company().name());
        }
      }
    }
    Set<String> connectives =
        Set.of("and", "und", "et", "e", "y", "og", "och", "és", "i", "ja", "the", "of", "de");
    for (Set<String> words : lists.values()) {
      words.removeAll(connectives);
    }
    // English Faker makes cities, streets and companies out of people's names ("Port Jaleel",
    // "Jamison Causeway", "Baumbach-Lang"): there, only the other words say city, street, company
    Set<String> names = new TreeSet<>(lists.getOrDefault("first", Set.of()));
    names.addAll(lists.getOrDefault("last", Set.of()));
    for (String l : List.of("city", "street", "company")) {
      lists.getOrDefault(l, new TreeSet<>()).removeAll(names);
    }
    if (Boolean.parseBoolean(System.getProperty("pii.train.common", "true"))) {
      lists.put("common", commonWords());
    }
    return lists;
  }

  /**
   * Words that Datafaker's English text (quotes, titles, descriptions: every {@code en/*.yml}) has
   * in lower case at least three times: ordinary words ({@code will}, {@code just}, {@code answer})
   * as opposed to names, which that text writes capitalised.
   */
  static Set<String> commonWords() {
    Map<String, Integer> counts = new HashMap<>();
    try {
      java.net.URL jar = Faker.class.getProtectionDomain().getCodeSource().getLocation();
      try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(new java.io.File(jar.toURI()))) {
        var entries = zip.entries();
        while (entries.hasMoreElements()) {
          var e = entries.nextElement();
          String name = e.getName();
          if (!(name.startsWith("en/") && name.endsWith(".yml"))) {
            continue;
          }
          String text =
              new String(
                  zip.getInputStream(e).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
          Tokens t = Tokens.of(text);
          for (int i = 0; i < t.size; i++) {
            String w = t.text[i];
            if (w.length() >= 2 && isLowerWord(w)) {
              counts.merge(w, 1, Integer::sum);
            }
          }
        }
      }
    } catch (java.io.IOException | java.net.URISyntaxException | RuntimeException e) {
      System.out.println("[INFO] PII: no common-word list from Datafaker: " + e);
      return new TreeSet<>();
    }
    Set<String> out = new TreeSet<>();
    counts.forEach(
        (w, n) -> {
          if (n >= 3) {
            out.add(w);
          }
        });
    return out;
  }

  private static boolean isLowerWord(String w) {
    for (int i = 0; i < w.length(); i++) {
      char c = w.charAt(i);
      if (!(c >= 'a' && c <= 'z') && c != '\'') {
        return false;
      }
    }
    return true;
  }

  private static void add(Map<String, Set<String>> lists, String list, String value) {
    if (value == null || !latin(value)) {
      return;
    }
    Tokens t = Tokens.of(value);
    for (int i = 0; i < t.size; i++) {
      String w = t.text[i];
      if (w.length() > 2 && Character.isLetter(w.charAt(0))) {
        lists.computeIfAbsent(list, k -> new TreeSet<>()).add(w.toLowerCase(Locale.ROOT));
      }
    }
  }

  /** Whole names of countries (English), for the phrase detector. */
  Set<String> countries(int draws) {
    Set<String> out = new TreeSet<>();
    for (int i = 0; i < draws; i++) {
      out.add(english.address().country());
    }
    return out;
  }

  /** Counts of values per list, for the trainer's log line. */
  static Map<String, Integer> sizes(Map<String, Set<String>> lists) {
    Map<String, Integer> m = new HashMap<>();
    lists.forEach((k, v) -> m.put(k, v.size()));
    return m;
  }
}
