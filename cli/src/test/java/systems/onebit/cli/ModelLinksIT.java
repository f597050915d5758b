package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.testing.ModelFiles;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * Models in the Hugging Face cache layout ({@code snapshots/REV/FILE} → {@code ../../blobs/SHA}, as huggingface_hub,
 * Lemonade and llama.cpp's {@code -hf} lay them out) and split GGUFs, on real rootful Podman: the container must see
 * every file the user named, readable, although the links point outside the model's directory. The test image's
 * stand-in llama-server refuses to start when its model is not readable.
 */
class ModelLinksIT {

    @TempDir
    Path home;

    private Cli cli;
    private final String name = "links-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void setUp() throws Exception {
        cli = new Cli(home)
                .env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString())
                .env("ONEBIT_HOST_ROOT", Cli.hostWithDevices(home.resolve("host"), true).toString());
    }

    @AfterEach
    void tearDown() {
        PodmanTestService.removeQuietly(name);
    }

    /** A file in the cache's blobs/ (named by a made-up sha256) and its link under snapshots/REV/. */
    private Path cached(Path repo, String file, String sha) throws Exception {
        Path blob = ModelFiles.emptyGguf(Files.createDirectories(repo.resolve("blobs")), sha);
        Path link = Files.createDirectories(repo.resolve("snapshots/0123abcd")).resolve(file);
        Files.createSymbolicLink(link, Path.of("../../blobs/" + sha));
        return link;
    }

    private void startAndProbe(Path model) throws Exception {
        Cli.Result created = cli.run("toolbox", "create", name, "--flavor", "vulkan-radv", "--model", model.toString(),
                "--port", Integer.toString(Cli.freePort()));
        assertThat(created.code()).as(created.toString()).isZero();
        assertThat(cli.run("toolbox", "start", name).code()).isZero();
        Cli.Result probe = cli.run("toolbox", "probe", name, "--timeout", "20");
        assertThat(probe.code()).as("the model is readable inside: " + probe + cli.run("toolbox", "logs", name)).isZero();
    }

    @Test
    void aModelReachedThroughTheHuggingFaceCacheLinksStarts() throws Exception {
        Path model = cached(home.resolve("hub/models--unsloth--Qwen3-0.6B-GGUF"), "Qwen3-0.6B-Q4_K_M.gguf",
                "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0");
        startAndProbe(model);
        Cli.Result inside = cli.run("toolbox", "exec", name, "--", "sh", "-c",
                "test -r /models/Qwen3-0.6B-Q4_K_M.gguf && head -c 4 /models/Qwen3-0.6B-Q4_K_M.gguf");
        assertThat(inside.out()).isEqualTo("GGUF");
    }

    @Test
    void aSplitModelInTheCacheLayoutIsLoadedByARealLlamaServer() throws Exception {
        TestImages.cpuManifest(cli.configDir().resolve("toolbox-manifests"));
        Path repo = home.resolve("hub/models--org--Tiny-GGUF");
        Path snapshot = Files.createDirectories(repo.resolve("snapshots/0123abcd"));
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        List<Path> shards = new TinyGguf().seed(7).writeSplit(Files.createDirectories(home.resolve("made")), "Tiny-F32", 2);
        for (Path shard : shards) {
            String sha = ModelFiles.sha256(shard);
            Files.move(shard, blobs.resolve(sha));
            Files.createSymbolicLink(snapshot.resolve(shard.getFileName()), Path.of("../../blobs/" + sha));
        }
        int port = Cli.freePort();
        Cli.Result created = cli.run("toolbox", "create", name, "--flavor", "cpu", "--model",
                snapshot.resolve("Tiny-F32-00001-of-00002.gguf").toString(), "--port", Integer.toString(port));
        assertThat(created.code()).as(created.toString()).isZero();
        assertThat(cli.run("toolbox", "start", name).code()).isZero();
        Cli.Result probe = cli.run("toolbox", "probe", name, "--timeout", "60");
        assertThat(probe.code()).as("llama-server loaded both shards: " + probe + cli.run("toolbox", "logs", name)).isZero();
        HttpResponse<String> chat = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],"
                        + "\"max_tokens\":4}")).header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        // Half the tensors are in the second shard: without it llama.cpp's loader fails ("failed to load GGUF split").
        assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
        assertThat(chat.body()).contains("\"completion_tokens\":4");
    }

    @Test
    void everyShardOfASplitModelIsThereAndAMissingOneIsNamed() throws Exception {
        Path repo = home.resolve("hub/models--org--Big-GGUF");
        Path first = cached(repo, "Big-Q4_K_M-00001-of-00003.gguf", "a".repeat(64));
        cached(repo, "Big-Q4_K_M-00002-of-00003.gguf", "b".repeat(64));
        Path third = cached(repo, "Big-Q4_K_M-00003-of-00003.gguf", "c".repeat(64));
        startAndProbe(first);
        Cli.Result inside = cli.run("toolbox", "exec", name, "--", "sh", "-c",
                "for i in 1 2 3; do test -r /models/Big-Q4_K_M-0000$i-of-00003.gguf && echo shard$i; done");
        assertThat(inside.out().lines()).containsExactly("shard1", "shard2", "shard3");
        assertThat(cli.run("toolbox", "rm", "--force", name).code()).isZero();

        Files.delete(third);
        Cli.Result missing = cli.run("toolbox", "create", name, "--flavor", "vulkan-radv", "--model", first.toString(),
                "--port", Integer.toString(Cli.freePort()));
        assertThat(missing.code()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(missing.err()).contains("Big-Q4_K_M-00003-of-00003.gguf", "3 files");
    }
}
