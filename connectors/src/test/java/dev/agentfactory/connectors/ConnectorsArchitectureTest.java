package dev.agentfactory.connectors;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.agentfactory.connectors.kafka.DeadLetters;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.connectors.kafka.Topics;
import org.junit.jupiter.api.Test;

/** The edge uses the event model and the publisher from a JVM without Flink or a broker. */
class ConnectorsArchitectureTest {

  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.agentfactory.connectors");

  @Test
  void eventModelNeedsNeitherFlinkNorKafkaNorVertx() {
    noClasses()
        .that()
        .resideInAPackage("dev.agentfactory.connectors.event..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.flink..", "org.apache.kafka..", "kafka..", "io.vertx..")
        .check(CLASSES);
  }

  @Test
  void publisherAndTopicsNeedNeitherFlinkNorTheBroker() {
    noClasses()
        .that()
        .belongToAnyOf(InteractionPublisher.class, Topics.class, DeadLetters.class)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.flink..", "kafka..", "scala..", "io.vertx..")
        .check(CLASSES);
  }
}
