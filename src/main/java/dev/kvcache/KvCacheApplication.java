package dev.kvcache;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class KvCacheApplication {

    public static void main(String[] args) {
        SpringApplication.run(KvCacheApplication.class, args);
    }
}
