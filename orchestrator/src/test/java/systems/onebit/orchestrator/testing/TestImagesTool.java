package systems.onebit.orchestrator.testing;

/** Builds (once) and prints the test image holding the real llama-server, for scripts (bench/ondemand.sh). */
public final class TestImagesTool {
    private TestImagesTool() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println(TestImages.llamaServer());
    }
}
