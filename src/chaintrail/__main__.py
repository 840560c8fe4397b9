from chaintrail.cli.launch import main

main()
