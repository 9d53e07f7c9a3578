module example.com/inprocess-handoff

go 1.21
