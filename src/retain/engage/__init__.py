"""Lifecycle playbooks: triggers, steps, holdouts and the lift each playbook caused."""
