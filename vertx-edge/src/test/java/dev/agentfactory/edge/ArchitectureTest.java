package dev.agentfactory.edge;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module boundaries of ARCHITECTURE.md, checked on the classes of every module on this module's
 * classpath (edge, cluster, sandbox-agent, connectors).
 */
class ArchitectureTest {

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.agentfactory");
  }

  /**
   * The HTTP plumbing (routing, the contract, errors, paging) is below the features that use it:
   * auth, agents, datasets, sessions and the pipeline import it, never the other way round.
   */
  @Test
  void theHttpApiPackageDependsOnNoFeatureOfTheEdge() {
    noClasses()
        .that()
        .resideInAPackage("dev.agentfactory.edge.api..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.agentfactory.edge.auth..",
            "dev.agentfactory.edge.agent..",
            "dev.agentfactory.edge.dataset..",
            "dev.agentfactory.edge.session..",
            "dev.agentfactory.edge.pipeline..",
            "dev.agentfactory.edge.eval..",
            "dev.agentfactory.edge.admin..")
        .check(classes);
  }

  @Test
  void onlyTheClusterModuleUsesHazelcast() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.agentfactory.cluster..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("com.hazelcast..")
        .check(classes);
  }

  @Test
  void onlyTheDataPlaneModulesUseFlink() {
    noClasses()
        .that()
        .resideOutsideOfPackages("dev.agentfactory.connectors..", "dev.agentfactory.jobs..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.apache.flink..")
        .check(classes);
  }

  @Test
  void theSandboxRuntimeDependsOnNothingOfOurs() {
    // The standalone daemon (sandbox.daemon) is the one part of the module that serves HTTP
    noClasses()
        .that()
        .resideInAPackage("dev.agentfactory.sandbox..")
        .and()
        .resideOutsideOfPackage("dev.agentfactory.sandbox.daemon..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.agentfactory.cluster..",
            "dev.agentfactory.connectors..",
            "dev.agentfactory.edge..",
            "io.vertx..")
        .check(classes);
  }

  @Test
  void theConnectorsModuleDependsOnNothingOfOurs() {
    noClasses()
        .that()
        .resideInAPackage("dev.agentfactory.connectors..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.agentfactory.cluster..",
            "dev.agentfactory.sandbox..",
            "dev.agentfactory.edge..",
            "io.vertx..")
        .check(classes);
  }

  @Test
  void theSandboxRuntimeDoesNotDependOnItsDaemon() {
    noClasses()
        .that()
        .resideInAPackage("dev.agentfactory.sandbox..")
        .and()
        .resideOutsideOfPackage("dev.agentfactory.sandbox.daemon..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.agentfactory.sandbox.daemon..")
        .check(classes);
  }

  @Test
  void onlyTheEdgeAndTheSandboxDaemonUseVertx() {
    noClasses()
        .that()
        .resideOutsideOfPackages("dev.agentfactory.edge..", "dev.agentfactory.sandbox.daemon..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.vertx..")
        .check(classes);
  }
}
