package dev.agentfactory.jobs.label;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The labeling and evaluation logic is a library for any JVM: Flink operators wrap it. */
class LabelArchitectureTest {

  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.agentfactory.jobs");

  @Test
  void labelAndEvalPackagesDoNotDependOnFlink() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.agentfactory.jobs.label..", "dev.agentfactory.jobs.eval..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.flink..", "dev.agentfactory.jobs.pipeline..")
        .check(CLASSES);
  }
}
