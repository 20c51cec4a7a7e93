# Copyright (c) mmped contributors. All rights reserved.
"""Print the environment (``mim run mmped collect_env``)."""
import sys

from mmped.utils.collect_env import main

if __name__ == '__main__':
    sys.exit(main())
