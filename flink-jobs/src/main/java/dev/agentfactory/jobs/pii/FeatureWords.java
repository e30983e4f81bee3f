package dev.agentfactory.jobs.pii;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The word classes and cue words of the tagger's features ({@link NameFeatures}): street, unit,
 * prefix, organisation and job-title words, country names (from the JDK's locale data, so no list
 * to maintain) and numbers as a word class, and the words that cue a location, a person or an
 * organisation nearby.
 */
final class FeatureWords {

  static final Set<String> STREET =
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
  static final String[] STREET_SUFFIXES = {
    "straße", "strasse", "weg", "gasse", "platz", "laan", "straat", "vej", "gade", "gatan", "vägen",
    "veien", "katu", "tie", "utca", "ská", "ova", "ská", "allee", "ring", "damm"
  };
  static final Set<String> UNIT =
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

  static final Set<String> PREFIX =
      words("mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mx", "rev", "lady", "lord");

  static final Set<String> ORG =
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

  static final Set<String> TITLE_HEAD =
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
  static final Set<String> LOCATION_CUE =
      words("in", "from", "near", "to", "at", "visit", "visited", "of", "moved", "lives", "live");
  static final Set<String> PERSON_CUE =
      words("name", "named", "i'm", "am", "is", "dear", "hi", "hello", "thanks", "by", "with");
  static final Set<String> COUNTRY_WORDS = countryWords();

  private static Set<String> words(String... words) {
    return Set.copyOf(java.util.Arrays.asList(words));
  }

  private static final String[] CLASSES = {
    "street", "unit", "prefix", "org", "title", "country", "num4", "num"
  };

  static final Set<String> ORG_CUE =
      words(
          "works",
          "work",
          "working",
          "worked",
          "employed",
          "employer",
          "joined",
          "join",
          "company",
          "firm",
          "corporation",
          "office",
          "offices",
          "headquarters",
          "hq",
          "ceo",
          "founder",
          "bank",
          "client",
          "customer",
          "vendor",
          "team");

  static int classId(String c) {
    if (c == null) {
      return 0;
    }
    for (int i = 0; i < CLASSES.length; i++) {
      if (CLASSES[i].equals(c)) {
        return i + 1;
      }
    }
    return 0;
  }

  static String wordClass(String w) {
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

  static boolean isNumber(String w) {
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

  /** Words of English country names from the JDK, minus words too common to mean a country. */
  static Set<String> countryWords() {
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

  private FeatureWords() {}
}
