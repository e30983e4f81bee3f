package dev.agentfactory.connectors.dataset.version;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The REST edge calls the catalog from a JVM without Flink, Kafka or a Vert.x dependency here. */
class DatasetVersionArchitectureTest {

  @Test
  void catalogNeedsNeitherFlinkNorKafkaNorVertx() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.flink..", "org.apache.kafka..", "kafka..", "io.vertx..")
        .check(
            new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.agentfactory.connectors.dataset.version"));
  }
}
