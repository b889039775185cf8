package dev.kvcache.support;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads series out of a Prometheus scrape ({@code /actuator/prometheus}). */
public final class PrometheusScrape {

    private PrometheusScrape() {
    }

    /** The value of the series written exactly so (name and labels) in a scrape; fails if it is not there. */
    public static double value(String scrape, String series) {
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        assertThat(line.find()).as("%s in\n%s", series, scrape).isTrue();
        return Double.parseDouble(line.group(1));
    }
}
