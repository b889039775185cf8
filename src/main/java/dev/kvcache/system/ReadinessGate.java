package dev.kvcache.system;

import java.util.function.BooleanSupplier;

import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.health.application.ReadinessStateHealthIndicator;

/**
 * Boot's readiness indicator, held at {@code REFUSING_TRAFFIC} until the store says it can serve (a snapshot
 * loaded, a cluster safe). A bean of this type named {@code readinessStateHealthIndicator} replaces Boot's, so the
 * readiness group needs no change.
 */
public final class ReadinessGate extends ReadinessStateHealthIndicator {

    private final BooleanSupplier ready;

    public ReadinessGate(ApplicationAvailability availability, BooleanSupplier ready) {
        super(availability);
        this.ready = ready;
    }

    @Override
    protected AvailabilityState getState(ApplicationAvailability applicationAvailability) {
        AvailabilityState state = super.getState(applicationAvailability);
        return ready.getAsBoolean() ? state : ReadinessState.REFUSING_TRAFFIC;
    }
}
