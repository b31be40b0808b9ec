from stockd.entrypoints.cli import main

main()
