package dev.agentfactory.edge.config;

/** A configuration value that cannot be used; the message names the option and its sources. */
public final class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message);
  }
}
