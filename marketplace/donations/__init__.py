"""Money donations through Stripe PaymentIntents, recorded from Stripe's signed webhook."""
