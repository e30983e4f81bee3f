package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.template.TemplateCatalog;
import java.util.Set;

/**
 * Names of the built-in templates (defined in {@code templates/*.json}, see {@link
 * TemplateCatalog}).
 */
public final class SandboxTemplate {

  public static final String SHELL = "shell";
  public static final String PYTHON = "python";
  public static final String NODE = "node";
  public static final String BROWSER = "browser";

  public static final Set<String> NAMES = Set.copyOf(TemplateCatalog.BUILT_IN);

  private SandboxTemplate() {}
}
