module example.com/no-chain-without-write

go 1.21
