package dev.agentfactory.jobs.quality;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The quality rules are a library for any JVM: the Flink operator wraps them. */
class QualityArchitectureTest {

  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.agentfactory.jobs");

  @Test
  void qualityPackageDoesNotDependOnFlink() {
    noClasses()
        .that()
        .resideInAPackage("dev.agentfactory.jobs.quality..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.flink..", "dev.agentfactory.jobs.pipeline..")
        .check(CLASSES);
  }
}
