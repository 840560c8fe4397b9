from chaintrail.cli.main import main

main()
