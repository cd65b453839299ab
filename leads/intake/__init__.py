"""The public side: the intake form and its pages (views, forms, urls), the rate limiter that
counts every attempt across processes (ratelimit, also the API's throttles' store), the upload
handler that never holds more than RESUME_MAX_BYTES (uploads), and the frame the firm's site
may show the form in (framing)."""
