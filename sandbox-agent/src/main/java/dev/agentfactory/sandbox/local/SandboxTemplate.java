package dev.agentfactory.sandbox.local;

import java.util.Set;

/** The templates a pool can start. Only {@code shell} exists so far: a plain POSIX userland. */
public final class SandboxTemplate {

  public static final String SHELL = "shell";

  public static final Set<String> NAMES = Set.of(SHELL);

  private SandboxTemplate() {}
}
