package systems.onebit.orchestrator.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * Jazzer: any bytes either read as a GGUF header or give an OrchestratorException; nothing else (no other exception,
 * no OutOfMemoryError, no hang). In a plain test run this replays the seeds in GgufFuzzTestInputs/ (a generated
 * model and cut and corrupted copies); {@code JAZZER_FUZZ=1 mvn -pl orchestrator test -Dtest=GgufFuzzTest} fuzzes for
 * real (coverage-guided: the orchestrator is compiled to Java 21 class files, which Jazzer can instrument).
 */
class GgufFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void anyBytesReadOrFailCleanly(byte[] data) throws Exception {
        Path file = Files.createTempFile("fuzz", ".gguf");
        try {
            Files.write(file, data);
            GgufFile model = GgufReader.read(file);
            model.weightBytes();
        } catch (OrchestratorException expected) {
            // the documented outcome for a file that is not a usable GGUF
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
