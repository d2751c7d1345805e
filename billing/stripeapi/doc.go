// Package stripeapi is billing's Stripe adapter on stripe-go v76: it
// creates customers, prices, subscriptions and subscription items,
// reports usage with usagerecord.New, opens billing portal sessions
// (billing.StripeAPI), and verifies webhooks with webhook.ConstructEvent
// (Verify).
//
// It must never:
//   - log or format the API key (stripe-go's own logger is off; errors
//     carry Stripe's message and status only);
//   - make a call without the idempotency key its caller derived from
//     Opsward's record (portal sessions excepted: they change nothing);
//   - decide anything: what to create and when is billing's, and every
//     call but the portal link runs in a dispatch job.
package stripeapi
