module example.com/event-recorders

go 1.21
