package dev.agentfactory.cluster;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noMethods;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** Hazelcast types stay inside {@code cluster.hazelcast}; other modules see our interfaces. */
@AnalyzeClasses(
    packages = "dev.agentfactory.cluster",
    importOptions = ImportOption.DoNotIncludeTests.class)
class ClusterBoundaryTest {

  @ArchTest
  static final ArchRule apiPackagesDoNotUseHazelcast =
      noClasses()
          .that()
          .resideOutsideOfPackage("dev.agentfactory.cluster.hazelcast..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("com.hazelcast..");

  @ArchTest
  static final ArchRule onlyTheNodeIsPublicInTheHazelcastPackage =
      classes()
          .that()
          .resideInAPackage("dev.agentfactory.cluster.hazelcast..")
          .and()
          .arePublic()
          .should()
          .haveSimpleName("HazelcastClusterNode");

  @ArchTest
  static final ArchRule publicMethodsOfPublicClassesReturnNoHazelcastType =
      noMethods()
          .that()
          .arePublic()
          .and()
          .areDeclaredInClassesThat()
          .arePublic()
          .should()
          .haveRawReturnType(resideInAPackage("com.hazelcast.."));
}
