package dev.kvcache.cache;

import java.util.ArrayList;
import java.util.List;

import dev.kvcache.KvCacheApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Start-up with real configuration: bad values stop it with a message naming the property. */
@ExtendWith(OutputCaptureExtension.class)
class StartupTests {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            kvcache.max-memory=-1MB          | kvcache.max-memory must be greater than 0
            kvcache.max-memory=0             | kvcache.max-memory must be greater than 0
            kvcache.max-memory=lots          | kvcache.max-memory
            kvcache.ttl=-5s                  | kvcache.ttl must be 0 (no expiry) or positive
            kvcache.ttl=five minutes         | kvcache.ttl
            kvcache.max-ttl=0                | kvcache.max-ttl must be at least 1s
            kvcache.max-ttl=500ms            | kvcache.max-ttl must be at least 1s
            kvcache.max-ttl=a day            | kvcache.max-ttl
            kvcache.cleanup-interval=0s      | kvcache.cleanup-interval must be positive
            kvcache.max-key-length=0         | maxKeyLength
            kvcache.max-value-length=-1      | maxValueLength
            kvcache.max-key-length=1000000   | maxKeyLength
            kvcache.mode=replicated          | kvcache.mode
            kvcache.shutdown.drain=-1s       | kvcache.shutdown.drain must be 0 or positive
            """)
    void invalidSettingStopsStartUpNamingTheProperty(String setting, String message) {
        Throwable failure = catchThrowable(() -> start(setting).close());
        assertThat(failure).as("start-up with " + setting).isNotNull();
        assertThat(messages(failure)).anySatisfy(text -> assertThat(text).contains(message));
    }

    @Test
    void budgetLargerThanTheDirectMemoryAllowsIsCappedWithAWarning(CapturedOutput output) {
        try (ConfigurableApplicationContext context = start("kvcache.max-memory=1TB")) {
            // No -XX:MaxDirectMemorySize here: the direct memory may be as large as the heap.
            long maxHeap = Runtime.getRuntime().maxMemory();
            assertThat(context.getBean(CacheService.class).budgetBytes())
                    .isEqualTo(maxHeap - MemoryBudget.DIRECT_RESERVE);
            assertThat(output).contains("WARN").contains("kvcache.max-memory=1048576MB does not fit");
        }
    }

    /** A put's ttl may reach kvcache.max-ttl and no further, and the refusal names the maximum. */
    @Test
    void maxTtlBoundsAPutsTtlAndItsMessage() {
        try (ConfigurableApplicationContext context = start("kvcache.max-ttl=1h")) {
            CacheService cache = context.getBean(CacheService.class);
            cache.put("k", "v", 3600);
            assertThat(cache.get("k")).hasValue("v");
            assertThat(catchThrowable(() -> cache.put("k", "w", 3601)))
                    .hasMessage("ttl must be a whole number of seconds from 1 to 3600");
            assertThat(cache.ttlRule()).isEqualTo("ttl must be a whole number of seconds from 1 to 3600");
            assertThat(cache.get("k")).as("the refused put stored nothing").hasValue("v");
        }
    }

    /** The setting as a command-line argument, which application.properties cannot override. */
    private static ConfigurableApplicationContext start(String setting) {
        return new SpringApplicationBuilder(KvCacheApplication.class).run("--server.port=0", "--" + setting);
    }

    private static List<String> messages(Throwable failure) {
        List<String> messages = new ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.add(String.valueOf(t.getMessage()));
        }
        return messages;
    }
}
