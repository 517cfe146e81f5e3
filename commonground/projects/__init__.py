"""The smart-city register: projects, the organisations behind them, who they reach, and
their social-difference impact assessments (issue 17)."""
