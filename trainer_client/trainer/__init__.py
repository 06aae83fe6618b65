"""verigrade's GRPO trainer (``verigrade train``), with the pieces around it.

``grpo`` is the loop, one file that reads top to bottom; ``rewards`` is where its rewards
come from (the server through ``GradeClient``, or a ``Grader`` in this process); ``data``
loads prompts, ``tokenizer`` builds the offline tiny model, ``sft`` is the cold-start
fine-tune, ``evaluate`` the held-out accuracy and pass@k; ``cli`` adds ``verigrade train``;
``local_server`` starts ``verigrade serve`` on loopback for the examples.
Nothing is imported here, so ``verigrade --help`` never loads torch.
"""
