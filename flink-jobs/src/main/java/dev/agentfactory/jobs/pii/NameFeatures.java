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
  private static final String[] PC = prefixed("pc=", CLASSES);
  private static final String[] NC = prefixed("nc=", CLASSES);
  private static final String[] NC2 = prefixed("nc2=", CLASSES);
  private static final String[] GZ = prefixed("gz=", types());
  private static final String[] PGZ = prefixed("pgz=", types());
  private static final String[] NGZ = prefixed("ngz=", types());
  private static final String[] FL = prefixed("fl=", Gazetteer.LIST_NAMES.toArray(new String[0]));
  private static final String[] FLC = prefixed("flC=", Gazetteer.LIST_NAMES.toArray(new String[0]));
  private static final String[] PFL = prefixed("pfl=", Gazetteer.LIST_NAMES.toArray(new String[0]));
  private static final String[] NFL = prefixed("nfl=", Gazetteer.LIST_NAMES.toArray(new String[0]));

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

  /** Features per token, aligned with {@code tokens}. */
  static String[][] of(Tokens tokens, Gazetteer gazetteer) {
    int n = tokens.size;
    String[] lower = new String[n];
    int[] cls = new int[n];
    int[] lists = new int[n];
    @SuppressWarnings("unchecked")
    Set<EntityType>[] gz = new Set[n];
    for (int i = 0; i < n; i++) {
      String w = tokens.text[i].toLowerCase(Locale.ROOT);
      lower[i] = w;
      cls[i] = wordClassIndex(w);
      lists[i] = gazetteer.lists(w);
      gz[i] = gazetteer.lookup(w);
    }
    String[][] features = new String[n][];
    List<String> f = new ArrayList<>(16);
    for (int i = 0; i < n; i++) {
      f.clear();
      if (cls[i] >= 0) {
        f.add(C[cls[i]]);
      }
      if (i == 0) {
        f.add("pc=bos");
      } else if (cls[i - 1] >= 0) {
        f.add(PC[cls[i - 1]]);
      }
      if (i + 1 == n) {
        f.add("nc=eos");
      } else if (cls[i + 1] >= 0) {
        f.add(NC[cls[i + 1]]);
      }
      if (i + 2 < n && cls[i + 2] >= 0) {
        f.add(NC2[cls[i + 2]]);
      }
      if (i == 0 || Tokens.NEWLINE.equals(tokens.text[i - 1])) {
        f.add("bol");
      }
      if (i + 1 == n || Tokens.NEWLINE.equals(tokens.text[i + 1])) {
        f.add("eol");
      }
      if (i > 0 && LOCATION_CUE.contains(lower[i - 1])) {
        f.add("after-loc-cue");
      }
      if (i > 0 && PERSON_CUE.contains(lower[i - 1])) {
        f.add("after-person-cue");
      }
      for (EntityType t : gz[i]) {
        f.add(GZ[t.ordinal()]);
      }
      if (i > 0) {
        for (EntityType t : gz[i - 1]) {
          f.add(PGZ[t.ordinal()]);
        }
      }
      if (i + 1 < n) {
        for (EntityType t : gz[i + 1]) {
          f.add(NGZ[t.ordinal()]);
        }
      }
      int m = lists[i];
      if (m != 0) {
        boolean cap = isCapitalised(tokens.text[i]);
        for (int b = 0; b < FL.length; b++) {
          if ((m & (1 << b)) != 0) {
            f.add(FL[b]);
            if (cap) {
              f.add(FLC[b]);
            }
          }
        }
      }
      if (i > 0 && lists[i - 1] != 0) {
        addBits(f, PFL, lists[i - 1]);
      }
      if (i + 1 < n && lists[i + 1] != 0) {
        addBits(f, NFL, lists[i + 1]);
      }
      if (cls[i] >= 6 && i + 1 < n && isCapitalised(tokens.text[i + 1])) {
        f.add("num-before-cap");
      }
      features[i] = f.toArray(new String[0]);
    }
    return features;
  }

  private static void addBits(List<String> f, String[] names, int mask) {
    for (int b = 0; b < names.length; b++) {
      if ((mask & (1 << b)) != 0) {
        f.add(names[b]);
      }
    }
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
