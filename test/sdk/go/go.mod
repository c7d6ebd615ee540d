module capture.local/sdk/go-driver

go 1.22

require github.com/posthog/posthog-go v1.5.2
