module example.com/two-controllers-same-queue-type

go 1.21
