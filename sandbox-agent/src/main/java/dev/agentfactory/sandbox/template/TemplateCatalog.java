package dev.agentfactory.sandbox.template;

import dev.agentfactory.sandbox.driver.Isolation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The templates a pool can start, by name. {@link #builtIn()} has {@code shell}, {@code python},
 * {@code node} and {@code browser}, parsed from the JSON files in {@code
 * src/main/resources/dev/agentfactory/sandbox/templates}.
 */
public final class TemplateCatalog {

  public static final List<String> BUILT_IN = List.of("shell", "python", "node", "browser");

  private final Map<String, TemplateSpec> templates;

  private TemplateCatalog(Map<String, TemplateSpec> templates) {
    this.templates = templates;
  }

  public static TemplateCatalog of(Collection<TemplateSpec> templates) {
    Map<String, TemplateSpec> byName = new LinkedHashMap<>();
    for (TemplateSpec t : templates) {
      if (byName.put(t.name(), t) != null) {
        throw new InvalidTemplateException("template '" + t.name() + "' is defined twice");
      }
    }
    return new TemplateCatalog(Map.copyOf(byName));
  }

  public static TemplateCatalog builtIn() {
    List<TemplateSpec> specs = new ArrayList<>();
    for (String name : BUILT_IN) {
      String resource = "/dev/agentfactory/sandbox/templates/" + name + ".json";
      try (InputStream in = TemplateCatalog.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("built-in template missing: " + resource);
        }
        specs.add(TemplateParser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + resource, e);
      }
    }
    return of(specs);
  }

  /**
   * The built-in templates plus every {@code *.json} of {@code dir}, which may replace them.
   *
   * @throws IllegalArgumentException naming the file that is not a valid template, or the directory
   *     that cannot be read
   */
  public static TemplateCatalog builtInWith(Path dir) {
    List<TemplateSpec> extra = new ArrayList<>();
    try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
      for (Path file : files) {
        try {
          extra.add(TemplateParser.parse(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
          throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(dir + " cannot be read: " + e, e);
    }
    extra.sort(java.util.Comparator.comparing(TemplateSpec::name));
    of(extra); // the same name twice in the directory is an error, not a silent replacement
    return builtIn().with(extra.toArray(TemplateSpec[]::new));
  }

  /** The built-in templates plus (replacing same-named ones) {@code extra}. */
  public TemplateCatalog with(TemplateSpec... extra) {
    Map<String, TemplateSpec> merged = new LinkedHashMap<>(templates);
    for (TemplateSpec t : extra) {
      merged.put(t.name(), t);
    }
    return new TemplateCatalog(Map.copyOf(merged));
  }

  public Optional<TemplateSpec> get(String name) {
    return Optional.ofNullable(templates.get(name));
  }

  public Collection<TemplateSpec> all() {
    return templates.values();
  }

  public java.util.Set<String> names() {
    return templates.keySet();
  }

  /**
   * Why a template cannot run on this host at the given isolation level (a required program is
   * missing, or it needs another level); empty when it can.
   */
  public static Optional<String> unavailableReason(TemplateSpec t, Isolation isolation) {
    if (t.isolation() != null && !t.isolation().equals(isolation.id())) {
      return Optional.of(
          "needs isolation '" + t.isolation() + "', the pool runs '" + isolation.id() + "'");
    }
    if (!t.egress().isNone() && isolation != Isolation.NAMESPACE) {
      return Optional.of(
          "an egress allowlist needs namespace isolation; the pool runs '"
              + isolation.id()
              + "', which shares the host's network");
    }
    for (String path : t.requires()) {
      if (!Files.exists(Path.of(path))) {
        return Optional.of(path + " is not installed on this host");
      }
    }
    return Optional.empty();
  }
}
