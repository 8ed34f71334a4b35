"""Refunds of captured card payments: part of the payments room, which they need both ways (a
capture shows its refunds, a refund moves money of a payment).

`actions`: an admin's refund, in full or in part (the row written before Stripe is called);
`events`: Stripe's news about refunds (webhooks or a read), matched to their rows; `views`: what
people see of refunds on the receipt and the admin's Payments page.
"""
