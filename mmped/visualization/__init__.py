# Copyright (c) mmped contributors. All rights reserved.
