package dev.agentfactory.edge.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.agentfactory.sandbox.egress.EgressPolicy;
import dev.agentfactory.sandbox.egress.EgressRule;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import dev.agentfactory.sandbox.template.TemplateSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry over the embedded H2 store in a temp directory ({@link AgentRegistryPostgresIT}: the
 * same tests on PostgreSQL).
 */
class AgentRegistryIT {

  @TempDir Path dir;
  private Vertx vertx;
  private JdbcAgentStore store;
  private AgentRegistry registry;
  private final AgentSpecCodec codec = new AgentSpecCodec();
  private final AgentRef math = AgentRef.of("math");

  private String url;

  @BeforeEach
  void open() throws Exception {
    vertx = Vertx.vertx();
    url = storeUrl();
    reopen();
  }

  /** The store of one test: the embedded H2 file here, a database of its own on PostgreSQL. */
  String storeUrl() throws Exception {
    return JdbcAgentStore.embeddedUrl(dir);
  }

  String storeUser() {
    return "sa";
  }

  private void reopen() throws Exception {
    store = await(JdbcAgentStore.open(vertx, url, storeUser(), ""));
    registry = new AgentRegistry(store);
  }

  @AfterEach
  void close() throws Exception {
    await(store.close());
    await(vertx.close());
  }

  static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  private AgentSpec mathWithPrompt(String prompt) {
    String json = codec.toJson(codec.readResource("agents/math.json"));
    return codec.parseJson(
        json.replaceFirst("\"system_prompt\":\"[^\"]*\"", "\"system_prompt\":\"" + prompt + "\""));
  }

  @Test
  void versionsAreImmutableOrderedAndDeduplicatedByContent() throws Exception {
    Agent agent = await(registry.create("default", mathWithPrompt("one")));
    assertThat(agent.deployment().stableVersion()).isEqualTo(1);

    AgentVersion v2 = await(registry.addVersion("default", mathWithPrompt("two")));
    AgentVersion v3 = await(registry.addVersion("default", mathWithPrompt("three")));
    AgentVersion again = await(registry.addVersion("default", mathWithPrompt("two")));

    assertThat(v2.label()).isEqualTo("v2");
    assertThat(v3.number()).isEqualTo(3);
    assertThat(again).isEqualTo(v2);
    assertThat(await(registry.versions(math)))
        .extracting(v -> v.spec().systemPrompt())
        .containsExactly("one", "two", "three");
    assertThatThrownBy(() -> await(registry.create("default", mathWithPrompt("x"))))
        .isInstanceOfSatisfying(
            AgentException.class,
            e -> assertThat(e.code()).isEqualTo(AgentException.Code.CONFLICT));
    assertThatThrownBy(() -> await(registry.get(AgentRef.of("nope"))))
        .isInstanceOfSatisfying(
            AgentException.class,
            e -> assertThat(e.code()).isEqualTo(AgentException.Code.NOT_FOUND));
  }

  @Test
  void anUnknownSandboxTemplateIsAnInvalidSpecAndWritesNothing() throws Exception {
    String json = codec.toJson(mathWithPrompt("one"));
    assertThat(json).contains("\"template\":\"python\"");
    AgentSpec cobol =
        codec.parseJson(json.replace("\"template\":\"python\"", "\"template\":\"cobol\""));
    assertThatThrownBy(() -> await(registry.create("default", cobol)))
        .isInstanceOfSatisfying(
            AgentException.class,
            e -> {
              assertThat(e.code()).isEqualTo(AgentException.Code.INVALID_SPEC);
              assertThat(e.field()).isEqualTo("sandbox.template");
              assertThat(e.getMessage()).contains("'cobol'", "browser, node, python, shell");
            });
    assertThat(await(registry.list("default"))).isEmpty();
    await(registry.create("default", mathWithPrompt("one")));
    assertThatThrownBy(() -> await(registry.addVersion("default", cobol)))
        .isInstanceOfSatisfying(
            AgentException.class, e -> assertThat(e.field()).isEqualTo("sandbox.template"));
    assertThat(await(registry.versions(math))).hasSize(1);
  }

  @Test
  void egressItsTemplateDoesNotAllowIsRefusedWhenTheSpecIsWritten() throws Exception {
    // python, like every built-in template, has no network: any rule widens it
    AgentSpec fenced =
        withEgress(mathWithPrompt("one"), "[{\"host\":\"pypi.org\",\"ports\":[443]}]");
    AgentException refused =
        catchThrowableOfType(AgentException.class, () -> await(registry.create("default", fenced)));
    assertThat(refused.code()).isEqualTo(AgentException.Code.INVALID_SPEC);
    assertThat(refused.field()).isEqualTo("network.egress[0]");
    assertThat(refused.getMessage())
        .isEqualTo(
            "network.egress[0]: (pypi.org ports=[443]) is not covered by template 'python', whose"
                + " egress allowlist is empty (no network): an agent may only narrow it");
    assertThat(await(registry.list("default"))).as("nothing written").isEmpty();
    await(registry.create("default", withEgress(mathWithPrompt("one"), "[]")));

    // an operator's python with HTTPS to PyPI: a narrower rule is written, a wider one refused
    TemplateSpec python = TemplateCatalog.builtIn().get("python").orElseThrow();
    AgentRegistry withPyPi =
        new AgentRegistry(
            store,
            java.time.Clock.systemUTC(),
            TemplateCatalog.builtIn()
                .with(
                    python.withEgress(
                        EgressPolicy.of(EgressRule.of("*.pypi.org", 443, "CONNECT")))));
    String narrower = "{\"host\":\"files.pypi.org\",\"ports\":[443],\"methods\":[\"CONNECT\"]}";
    AgentVersion v2 =
        await(
            withPyPi.addVersion(
                "default", withEgress(mathWithPrompt("one"), "[" + narrower + "]")));
    assertThat(v2.number()).isEqualTo(2);
    AgentException wider =
        catchThrowableOfType(
            AgentException.class,
            () ->
                await(
                    withPyPi.addVersion(
                        "default",
                        withEgress(
                            mathWithPrompt("one"),
                            "[" + narrower + ",{\"host\":\"pypi.org\",\"ports\":[80]}]"))));
    assertThat(wider.field()).isEqualTo("network.egress[1]");
    assertThat(wider.getMessage())
        .contains(
            "(pypi.org ports=[80])",
            "template 'python'",
            "[*.pypi.org ports=[443] methods=[CONNECT]]");
    assertThat(await(withPyPi.versions(math))).hasSize(2);
  }

  private AgentSpec withEgress(AgentSpec spec, String rules) {
    String json = codec.toJson(spec);
    assertThat(json).doesNotContain("\"network\"").contains(",\"limits\"");
    return codec.parseJson(
        json.replace(",\"limits\"", ",\"network\":{\"egress\":" + rules + "},\"limits\""));
  }

  /**
   * A version stored by a node that took a field given twice (its last value winning) and unpaired
   * surrogates still loads: new specs are refused for them, stored ones are not read again that
   * strictly.
   */
  @Test
  void aStoredVersionWithARepeatedFieldOrAnUnpairedSurrogateStillLoads() throws Exception {
    await(registry.create("default", mathWithPrompt("one")));
    await(store.close());
    String legacy =
        codec
            .toJson(mathWithPrompt("one"))
            .replace(
                "\"system_prompt\":\"one\"",
                "\"system_prompt\":\"zero\",\"system_prompt\":\"one \\ud800\"");
    assertThat(catchThrowableOfType(AgentException.class, () -> codec.parseJson(legacy)).field())
        .as("refused as a new spec")
        .isEqualTo("system_prompt");
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, storeUser(), "");
        java.sql.PreparedStatement update =
            c.prepareStatement(
                "UPDATE af_agent_versions SET spec_json = ? WHERE agent_name = 'math'")) {
      update.setString(1, legacy);
      assertThat(update.executeUpdate()).isEqualTo(1);
    }

    reopen();

    assertThat(await(registry.version(math, 1)).spec().systemPrompt()).isEqualTo("one \uD800");
    assertThat(await(registry.resolve(math, "s1")).number()).isEqualTo(1);
  }

  @Test
  void canaryPromoteAndRollback() throws Exception {
    await(registry.create("default", mathWithPrompt("one")));
    await(registry.addVersion("default", mathWithPrompt("two")));

    Deployment canary = await(registry.deploy(math, 1, Optional.of(new Deployment.Canary(2, 30))));
    assertThat(canary.canary()).hasValue(new Deployment.Canary(2, 30));
    long onV2 =
        java.util.stream.IntStream.range(0, 400)
            .filter(
                i -> {
                  try {
                    return await(registry.resolve(math, "s" + i)).number() == 2;
                  } catch (Exception e) {
                    throw new AssertionError(e);
                  }
                })
            .count();
    assertThat(onV2).isBetween(80L, 160L);

    Deployment promoted = await(registry.promote(math));
    assertThat(promoted.stableVersion()).isEqualTo(2);
    assertThat(promoted.canary()).isEmpty();
    assertThat(await(registry.resolve(math, "anyone")).number()).isEqualTo(2);

    Deployment rolledBack = await(registry.rollback(math));
    assertThat(rolledBack.stableVersion()).isEqualTo(1);
    assertThatThrownBy(() -> await(registry.rollback(math)))
        .isInstanceOfSatisfying(
            AgentException.class,
            e -> assertThat(e.code()).isEqualTo(AgentException.Code.INVALID_REQUEST));
    // a missing version is named by the request's field that asked for it
    assertThat(notFound(registry.deploy(math, 9, Optional.empty())).field()).isEqualTo("stable");
    assertThat(
            notFound(registry.deploy(math, 1, Optional.of(new Deployment.Canary(9, 10)))).field())
        .isEqualTo("canary.version");
    // an agent that does not exist is that, as promote answers, not a missing v1
    AgentException nobody =
        notFound(registry.deploy(new AgentRef("default", "nobody"), 1, Optional.empty()));
    assertThat(nobody.getMessage()).isEqualTo("no agent default/nobody");
    assertThat(nobody.field()).isNull();
  }

  @Test
  void aChangeExpectingARevisionNoLongerCurrentIsAConflictNamingTheCurrentOne() throws Exception {
    await(registry.create("default", mathWithPrompt("one")));
    await(registry.addVersion("default", mathWithPrompt("two")));
    long read = await(registry.get(math)).deployment().revision();
    Deployment canary =
        await(
            registry.deploy(
                math, 1, Optional.of(new Deployment.Canary(2, 30)), OptionalLong.of(read)));
    assertThat(canary.revision()).isEqualTo(read + 1);

    for (Future<Deployment> stale :
        List.of(
            registry.deploy(math, 2, Optional.empty(), OptionalLong.of(read)),
            registry.promote(math, OptionalLong.of(read)),
            registry.rollback(math, OptionalLong.of(read)))) {
      AgentException conflict = catchThrowableOfType(AgentException.class, () -> await(stale));
      assertThat(conflict).isNotNull();
      assertThat(conflict.code()).isEqualTo(AgentException.Code.CONFLICT);
      assertThat(conflict.field()).isEqualTo("revision");
      assertThat(conflict.getMessage()).contains("revision " + (read + 1), "not " + read);
    }
    assertThat(await(registry.get(math)).deployment()).isEqualTo(canary);

    Deployment promoted = await(registry.promote(math, OptionalLong.of(canary.revision())));
    assertThat(promoted.stableVersion()).isEqualTo(2);
    assertThat(await(registry.rollback(math, OptionalLong.empty())).stableVersion())
        .as("without a revision, whatever is current")
        .isEqualTo(1);
  }

  private static AgentException notFound(Future<?> call) {
    AgentException e = catchThrowableOfType(AgentException.class, () -> await(call));
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(AgentException.Code.NOT_FOUND);
    return e;
  }

  /**
   * The built-in math serves a tenant without one, read-only; a tenant's own math, created like any
   * agent, serves that tenant instead and changes nothing for another.
   */
  @Test
  void aBuiltInAgentServesEveryTenantWithoutOneOfItsOwnAndIsReadOnly() throws Exception {
    AgentSpec shipped = codec.readResource("agents/math.json");
    AgentRegistry withBuiltIn =
        new AgentRegistry(
            store, java.time.Clock.systemUTC(), TemplateCatalog.builtIn(), List.of(shipped));
    AgentRef acme = new AgentRef("acme", "math");
    AgentRef globex = new AgentRef("globex", "math");

    assertThat(await(withBuiltIn.list("acme")))
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.ref()).isEqualTo(acme);
              assertThat(a.builtIn()).isTrue();
            });
    assertThat(await(withBuiltIn.resolve(acme, "s1")).spec()).isEqualTo(shipped);
    assertThat(await(withBuiltIn.versions(acme)))
        .extracting(AgentVersion::label)
        .containsExactly("v1");
    for (java.util.concurrent.Callable<?> write :
        List.<java.util.concurrent.Callable<?>>of(
            () -> await(withBuiltIn.addVersion("acme", mathWithPrompt("mine"))),
            () -> await(withBuiltIn.deploy(acme, 1, Optional.empty())),
            () -> await(withBuiltIn.promote(acme)),
            () -> await(withBuiltIn.rollback(acme)))) {
      assertThatThrownBy(write::call)
          .isInstanceOfSatisfying(
              AgentException.class,
              e -> {
                assertThat(e.code()).isEqualTo(AgentException.Code.CONFLICT);
                assertThat(e.getMessage()).contains("built in and read-only");
              });
    }
    assertThat(await(store.agents("acme"))).as("nothing stored").isEmpty();

    await(withBuiltIn.create("acme", mathWithPrompt("ours")));
    await(withBuiltIn.addVersion("acme", mathWithPrompt("ours, v2")));
    await(withBuiltIn.deploy(acme, 2, Optional.empty()));

    assertThat(await(withBuiltIn.resolve(acme, "s1")).spec()).isEqualTo(mathWithPrompt("ours, v2"));
    assertThat(await(withBuiltIn.list("acme")))
        .singleElement()
        .satisfies(a -> assertThat(a.builtIn()).isFalse());
    assertThat(await(withBuiltIn.get(acme)).latestVersion()).isEqualTo(2);
    assertThat(await(withBuiltIn.resolve(globex, "s1")).spec()).isEqualTo(shipped);
    assertThat(await(withBuiltIn.get(globex)).builtIn()).isTrue();
    assertThatThrownBy(() -> await(withBuiltIn.get(new AgentRef("acme", "nope"))))
        .isInstanceOfSatisfying(
            AgentException.class,
            e -> assertThat(e.code()).isEqualTo(AgentException.Code.NOT_FOUND));
  }

  @Test
  void pagesMergeTheBuiltInAgentsByNameAndATenantsOwnAgentReplacesOneOnEveryPage()
      throws Exception {
    AgentRegistry withBuiltIns =
        new AgentRegistry(
            store,
            java.time.Clock.systemUTC(),
            TemplateCatalog.builtIn(),
            List.of(named("bravo"), named("echo")));
    for (String own : List.of("foxtrot", "alpha", "echo", "delta", "charlie")) {
      await(withBuiltIns.create("acme", named(own)));
    }

    List<String> listed = new java.util.ArrayList<>();
    Optional<String> after = Optional.empty();
    for (int page = 0; page < 10; page++) {
      List<Agent> agents = await(withBuiltIns.list("acme", after, 2));
      if (agents.isEmpty()) {
        break;
      }
      assertThat(agents).hasSizeLessThanOrEqualTo(2);
      agents.forEach(a -> listed.add(a.ref().name() + (a.builtIn() ? " (built in)" : "")));
      after = Optional.of(agents.get(agents.size() - 1).ref().name());
    }

    assertThat(listed)
        .containsExactly("alpha", "bravo (built in)", "charlie", "delta", "echo", "foxtrot");
    assertThat(await(withBuiltIns.list("acme")))
        .extracting(a -> a.ref().name())
        .containsExactly("alpha", "bravo", "charlie", "delta", "echo", "foxtrot");
  }

  /**
   * The agents API continues a page after the last name on it and the registry merges the built-in
   * agents in, both in Java's order of names, where a hyphen comes before digits and letters
   * ({@code "a-c" < "ab"}); a database ordering text by a locale that sets punctuation aside
   * ({@code "ab" < "a-c"}, {@link AgentRegistryPostgresIT}) must page in that order all the same.
   * Paged as {@link AgentsHandler#list} does (one more than the page is asked for), at several page
   * sizes, every agent comes exactly once, in Java's order.
   */
  @Test
  void pagesOfNamesWithHyphensFollowJavasOrderWithNoneSkippedOrRepeated() throws Exception {
    List<String> builtIn = List.of("a-b", "ab-c", "b1");
    AgentRegistry withBuiltIns =
        new AgentRegistry(
            store,
            java.time.Clock.systemUTC(),
            TemplateCatalog.builtIn(),
            builtIn.stream().map(this::named).toList());
    List<String> own =
        List.of("ab", "a-c", "a-b-c", "abc", "a1", "a-1", "b", "b-a", "ba", "a-d", "ac", "a");
    for (String name : own) {
      await(withBuiltIns.create("acme", named(name)));
    }
    List<String> expected = new java.util.ArrayList<>(own);
    expected.addAll(builtIn);
    java.util.Collections.sort(expected);

    for (int limit : new int[] {1, 2, 3, 5}) {
      List<String> listed = new java.util.ArrayList<>();
      Optional<String> after = Optional.empty();
      for (int page = 0; page <= expected.size(); page++) {
        List<Agent> found = await(withBuiltIns.list("acme", after, limit + 1));
        List<Agent> onPage = found.size() > limit ? found.subList(0, limit) : found;
        onPage.forEach(a -> listed.add(a.ref().name()));
        if (found.size() <= limit) {
          break;
        }
        after = Optional.of(onPage.get(onPage.size() - 1).ref().name());
      }
      assertThat(listed).as("pages of %d", limit).containsExactlyElementsOf(expected);
    }
  }

  private AgentSpec named(String name) {
    String json = codec.toJson(codec.readResource("agents/math.json"));
    return codec.parseJson(json.replaceFirst("\"name\":\"math\"", "\"name\":\"" + name + "\""));
  }

  @Test
  void everythingSurvivesReopeningTheStore() throws Exception {
    await(registry.create("default", mathWithPrompt("one")));
    await(registry.addVersion("default", mathWithPrompt("two")));
    await(registry.deploy(math, 1, Optional.of(new Deployment.Canary(2, 10))));
    await(registry.create("other-tenant", mathWithPrompt("theirs")));
    await(store.close());

    reopen();

    Agent agent = await(registry.get(math));
    assertThat(agent.latestVersion()).isEqualTo(2);
    assertThat(agent.deployment().canary()).hasValue(new Deployment.Canary(2, 10));
    assertThat(agent.deployment().revision()).isEqualTo(2);
    assertThat(await(registry.version(math, 2)).spec()).isEqualTo(mathWithPrompt("two"));
    assertThat(await(registry.list("default")))
        .extracting(a -> a.ref().name())
        .isEqualTo(List.of("math"));
    assertThat(await(registry.get(new AgentRef("other-tenant", "math"))).latestVersion())
        .isEqualTo(1);
  }
}
