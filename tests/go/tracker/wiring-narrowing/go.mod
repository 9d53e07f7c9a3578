module example.com/wiring-narrowing

go 1.21
