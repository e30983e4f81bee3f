package dev.agentfactory.jobs.pii;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Context features the name finder sees next to OpenNLP's own token, shape and window features:
 * word classes that make a neighbourhood look like an address, a job title, an organisation or a
 * person ({@code Apt.}, {@code Street}, {@code Inc}, {@code Mrs.}, {@code manager}), country names
 * (from the JDK's locale data, so no list to maintain) and the position of a token in its line.
 * These generalise to names and values never seen in training, which is the point: the evaluation
 * data uses other names and places than the training data.
 */
final class NameFeatures {

  private static final Set<String> STREET =
      words(
          "street",
          "st",
          "avenue",
          "ave",
          "road",
          "rd",
          "lane",
          "ln",
          "drive",
          "boulevard",
          "blvd",
          "way",
          "court",
          "ct",
          "place",
          "pl",
          "square",
          "sq",
          "terrace",
          "parkway",
          "highway",
          "hwy",
          "crescent",
          "close",
          "alley",
          "row",
          "plaza",
          "circle",
          "trail",
          "rue",
          "via",
          "viale",
          "piazza",
          "calle",
          "avenida",
          "av",
          "rua",
          "estrada",
          "travessa",
          "ul",
          "ulica",
          "utca",
          "u",
          "straße",
          "strasse",
          "str",
          "weg",
          "gasse",
          "platz",
          "allee",
          "laan",
          "straat",
          "plein",
          "vej",
          "gade",
          "gatan",
          "vägen",
          "veien",
          "gata",
          "katu",
          "tie",
          "ulitsa",
          "prospekt",
          "chemin",
          "allée",
          "impasse",
          "quai",
          "cours",
          "carrer",
          "camino",
          "plaça",
          "paseo",
          "largo",
          "vicolo",
          "corso",
          "náměstí",
          "ulice",
          "út",
          "tér",
          "tee",
          "cesta",
          "bulevar",
          "sokak",
          "caddesi",
          "ccs",
          "mews",
          "green",
          "hill",
          "park",
          "gardens");
  private static final String[] STREET_SUFFIXES = {
    "straße", "strasse", "weg", "gasse", "platz", "laan", "straat", "vej", "gade", "gatan", "vägen",
    "veien", "katu", "tie", "utca", "ská", "ova", "ská", "allee", "ring", "damm"
  };
  private static final Set<String> UNIT =
      words(
          "apt",
          "apartment",
          "suite",
          "ste",
          "unit",
          "floor",
          "fl",
          "box",
          "po",
          "psc",
          "unit",
          "fpo",
          "apo",
          "dpo",
          "room",
          "bldg",
          "building",
          "no",
          "nr");
  private static final Set<String> ORG =
      words(
          "inc",
          "ltd",
          "llc",
          "llp",
          "corp",
          "corporation",
          "company",
          "co",
          "plc",
          "gmbh",
          "ag",
          "sa",
          "bv",
          "group",
          "partners",
          "associates",
          "bank",
          "university",
          "insurance",
          "services",
          "solutions",
          "technologies",
          "technology",
          "systems",
          "labs",
          "holdings",
          "foundation",
          "institute",
          "international",
          "industries",
          "enterprises",
          "media",
          "network",
          "networks",
          "software",
          "consulting",
          "capital",
          "financial",
          "health",
          "healthcare",
          "motors",
          "stores",
          "airlines",
          "energy",
          "pharmaceuticals",
          "brothers",
          "society",
          "association",
          "club",
          "agency",
          "council",
          "department",
          "unlimited");
  private static final Set<String> PREFIX =
      words("mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mx", "rev", "lady", "lord");
  private static final Set<String> TITLE_HEAD =
      words(
          "manager",
          "operator",
          "engineer",
          "clerk",
          "technician",
          "scientist",
          "assistant",
          "officer",
          "director",
          "analyst",
          "designer",
          "developer",
          "teacher",
          "nurse",
          "surgeon",
          "installer",
          "repairer",
          "mechanic",
          "worker",
          "administrator",
          "specialist",
          "consultant",
          "coordinator",
          "supervisor",
          "inspector",
          "therapist",
          "attendant",
          "driver",
          "cashier",
          "tender",
          "setter",
          "secretary",
          "accountant",
          "architect",
          "programmer",
          "editor",
          "writer",
          "lawyer",
          "attorney",
          "physician",
          "pharmacist",
          "psychologist",
          "salesperson",
          "agent",
          "representative",
          "planner",
          "counselor",
          "instructor",
          "professor",
          "librarian",
          "chef",
          "cook",
          "electrician",
          "plumber",
          "carpenter",
          "laborer",
          "helper",
          "aide",
          "executive",
          "president",
          "ceo",
          "cto",
          "cfo",
          "lineman",
          "publicist",
          "platemaker",
          "drafter",
          "adjuster",
          "examiner",
          "investigator",
          "dispatcher",
          "estimator",
          "auditor",
          "economist",
          "biologist",
          "chemist",
          "physicist",
          "mathematician",
          "statistician",
          "pilot",
          "photographer",
          "artist",
          "musician");
  private static final Set<String> LOCATION_CUE =
      words("in", "from", "near", "to", "at", "visit", "visited", "of", "moved", "lives", "live");
  private static final Set<String> PERSON_CUE =
      words("name", "named", "i'm", "am", "is", "dear", "hi", "hello", "thanks", "by", "with");
  private static final Set<String> COUNTRY_WORDS = countryWords();

  private NameFeatures() {}

  private static Set<String> words(String... words) {
    return Set.copyOf(java.util.Arrays.asList(words));
  }

  private static final String[] CLASSES = {
    "street", "unit", "prefix", "org", "title", "country", "num4", "num"
  };
  private static final String[] C = prefixed("c=", CLASSES);
  private static final String[] GZ = prefixed("gz=", types());
  private static final String[] FL = prefixed("fl=", Gazetteer.LIST_NAMES.toArray(new String[0]));
  private static final String[] FLC = prefixed("flC=", Gazetteer.LIST_NAMES.toArray(new String[0]));

  private static String[] types() {
    EntityType[] all = EntityType.values();
    String[] names = new String[all.length];
    for (int i = 0; i < all.length; i++) {
      names[i] = all[i].name();
    }
    return names;
  }

  private static String[] prefixed(String prefix, String[] names) {
    String[] out = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      out[i] = (prefix + names[i]).intern();
    }
    return out;
  }

  /**
   * Features per token, aligned with {@code tokens}: only the token's own word classes, list and
   * gazetteer memberships and line position. OpenNLP's {@code NameFinderME} itself puts these
   * "additional context" features of the 8 tokens before and after in every token's context (as
   * {@code p1…p8}/{@code n1…n8} features), so neighbours need no features of their own here; every
   * feature listed costs 17 in the model, which is why the list is short.
   */
  static String[][] of(Tokens tokens, Gazetteer gazetteer) {
    int n = tokens.size;
    String[][] features = new String[n][];
    List<String> f = new ArrayList<>(8);
    String[] none = new String[0];
    for (int i = 0; i < n; i++) {
      String token = tokens.text[i];
      f.clear();
      String w = token.toLowerCase(Locale.ROOT);
      int cls = wordClassIndex(w);
      if (cls >= 0) {
        f.add(C[cls]);
        if (cls >= 6 && i + 1 < n && isCapitalised(tokens.text[i + 1])) {
          f.add("num-before-cap");
        }
      }
      if (LOCATION_CUE.contains(w)) {
        f.add("loc-cue");
      }
      if (PERSON_CUE.contains(w)) {
        f.add("person-cue");
      }
      if (i == 0 || Tokens.NEWLINE.equals(tokens.text[i - 1])) {
        f.add("bol");
      }
      if (i + 1 == n || Tokens.NEWLINE.equals(tokens.text[i + 1])) {
        f.add("eol");
      }
      for (EntityType t : gazetteer.lookup(w)) {
        f.add(GZ[t.ordinal()]);
      }
      int m = gazetteer.lists(w);
      if (m != 0) {
        boolean cap = isCapitalised(token);
        for (int b = 0; b < FL.length; b++) {
          if ((m & (1 << b)) != 0) {
            f.add(cap ? FLC[b] : FL[b]);
          }
        }
      }
      features[i] = f.isEmpty() ? none : f.toArray(none);
    }
    return features;
  }

  private static int wordClassIndex(String w) {
    String c = wordClass(w);
    if (c == null) {
      return -1;
    }
    for (int i = 0; i < CLASSES.length; i++) {
      if (CLASSES[i].equals(c)) {
        return i;
      }
    }
    return -1;
  }

  private static String wordClass(String w) {
    if (STREET.contains(w)) {
      return "street";
    }
    if (UNIT.contains(w)) {
      return "unit";
    }
    if (PREFIX.contains(w)) {
      return "prefix";
    }
    if (ORG.contains(w)) {
      return "org";
    }
    if (TITLE_HEAD.contains(w)) {
      return "title";
    }
    if (COUNTRY_WORDS.contains(w)) {
      return "country";
    }
    if (w.length() > 5) {
      for (String s : STREET_SUFFIXES) {
        if (w.endsWith(s)) {
          return "street";
        }
      }
    }
    if (isNumber(w)) {
      return w.length() >= 4 ? "num4" : "num";
    }
    return null;
  }

  private static boolean isNumber(String w) {
    if (w.isEmpty()) {
      return false;
    }
    for (int i = 0; i < w.length(); i++) {
      char c = w.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private static boolean isCapitalised(String w) {
    return !w.isEmpty() && Character.isUpperCase(w.charAt(0));
  }

  /** Words of English country names from the JDK, minus words too common to mean a country. */
  private static Set<String> countryWords() {
    Set<String> words = new HashSet<>();
    for (String code : Locale.getISOCountries()) {
      String name = new Locale("", code).getDisplayCountry(Locale.ENGLISH);
      for (String w : name.toLowerCase(Locale.ROOT).split("[^\\p{L}]+")) {
        if (w.length() > 2) {
          words.add(w);
        }
      }
    }
    words.removeAll(
        Set.of(
            "and",
            "the",
            "islands",
            "island",
            "republic",
            "saint",
            "new",
            "south",
            "north",
            "united",
            "states",
            "outlying",
            "minor",
            "territory",
            "territories"));
    return Set.copyOf(words);
  }
}
