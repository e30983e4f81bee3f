package dev.agentfactory.jobs.pii;

import java.util.Locale;

/**
 * What a span of personal or secret data is. Names follow Microsoft Presidio's entity types, so
 * results compare with presidio-research datasets; {@link #API_KEY} and {@link #SECRET} are ours.
 */
public enum EntityType {
  PERSON,
  LOCATION,
  ORGANIZATION,
  ADDRESS,
  TITLE,
  PREFIX,
  EMAIL_ADDRESS,
  PHONE_NUMBER,
  CREDIT_CARD,
  IBAN_CODE,
  US_SSN,
  US_DRIVER_LICENSE,
  IP_ADDRESS,
  DOMAIN_NAME,
  DATE_TIME,
  /** A credential with a recognisable shape: AWS, GitHub, Slack, JWT, private key blocks. */
  API_KEY,
  /** A credential known by its context: a password in a URL, the value of a {@code token} key. */
  SECRET;

  /** The mask text for this type, e.g. {@code <EMAIL_ADDRESS>}. */
  public String mask() {
    return "<" + name() + ">";
  }

  /** Parses a Presidio-style name, case-insensitively. */
  public static EntityType parse(String name) {
    return valueOf(name.trim().toUpperCase(Locale.ROOT));
  }
}
