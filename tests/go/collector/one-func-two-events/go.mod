module example.com/one-func-two-events

go 1.21
