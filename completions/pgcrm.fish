complete --keep-order --exclusive --command pgcrm --arguments "(COMPLETE=fish pgcrm -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
